//! Build script: links the `openclaw` binary as a position-dependent executable.

fn main() {
    // As a position-independent executable, every start had the dynamic
    // loader rewrite some 34,000 pointers in relocated read-only data,
    // copying each of its ~160 pages: 130 of a `model run`'s 445 page faults
    // and about a sixth of its CPU time (release build). Linked at a fixed
    // address, those pointers are final in the file and their pages are only
    // read, when needed at all. Shared libraries, stack and heap are still
    // placed at random; the executable's own image no longer is.
    println!("cargo:rustc-link-arg-bins=-no-pie");
    // Without this, any edit anywhere in the package (docs included) would
    // rerun the script and rebuild the crate.
    println!("cargo:rerun-if-changed=build.rs");
}
