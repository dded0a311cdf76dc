//! The answer of leaves whose executor is not built yet: an honest
//! `ok:false` naming the capability, exit 2. Never a fake result.

use crate::error::Error;

pub fn error(capability: &str) -> Error {
    Error::unsupported(format!(
        "`{capability}` is not available yet in this build of openclaw"
    ))
    .with_hint("`openclaw infer list` shows which capabilities are available")
}
