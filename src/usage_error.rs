//! Clap's parse errors. With `--json` on the command line a script still
//! gets exactly one envelope on stdout; help and version exit 0.

use std::process::ExitCode;

use clap::error::ErrorKind as ClapKind;

use crate::envelope::{Envelope, Transport};
use crate::error::Error;
use crate::output;

pub fn report(error: clap::Error) -> ExitCode {
    let is_help = matches!(
        error.kind(),
        ClapKind::DisplayHelp
            | ClapKind::DisplayVersion
            | ClapKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !is_help {
        register_saved_secrets();
    }
    if !is_help && args.iter().any(|arg| arg == "--json") {
        // The rendered error up to the usage line, on one line.
        let rendered = error.render().to_string();
        let message = rendered
            .lines()
            .take_while(|line| {
                !line.starts_with("Usage:") && !line.starts_with("For more information")
            })
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let message = message.trim_start_matches("error:").trim().to_owned();
        let failure = Error::usage(message);
        let envelope = Envelope::failure(capability_from_args(&args), Transport::Local, &failure);
        output::stdout(&(envelope.to_json() + "\n"));
    }
    // Help and version go to stdout with exit 0; errors to stderr with exit
    // 2, through the printer: the message may quote a secret given to the
    // wrong flag.
    if is_help {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let rendered = error.render().to_string();
    output::stderr_line(rendered.trim_end());
    ExitCode::from(2)
}

/// No command ran, so nothing read the config or the saved keys yet; read
/// them (best effort, errors ignored) so a key pasted into the wrong flag
/// is masked in the message that quotes it.
fn register_saved_secrets() {
    let profile = crate::config::env::var(crate::config::env::PROFILE);
    let paths = crate::config::Paths::resolve(profile.as_deref());
    crate::config::env::load_dotenv(&paths.dotenv_file());
    let _ = crate::config::load(&paths.config_file);
    let _ = crate::auth::AuthProfiles::load(
        &paths.auth_profiles_file(crate::config::paths::DEFAULT_AGENT),
    );
}

/// `infer model run --prompt` -> `model.run`: the words after `infer`.
pub fn capability_from_args(args: &[String]) -> String {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .skip_while(|arg| *arg != "infer" && *arg != "capability")
        .skip(1)
        .take_while(|arg| !arg.starts_with('-'))
        .collect();
    if words.is_empty() {
        "infer".to_owned()
    } else {
        words.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_is_read_from_the_words_after_infer() {
        let args: Vec<String> = ["--log-level", "silent", "infer", "model", "run", "--json"]
            .map(String::from)
            .into();
        assert_eq!(capability_from_args(&args), "model.run");
        let args: Vec<String> = ["capability", "image", "describe-many"]
            .map(String::from)
            .into();
        assert_eq!(capability_from_args(&args), "image.describe-many");
    }
}
