//! `infer list` and `infer inspect`: the capability table as data.

use clap::CommandFactory;
use serde_json::{Value, json};

use super::Report;
use crate::capabilities::{self, Capability};
use crate::cli::{Cli, infer::InspectArgs};
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Result};

pub fn list() -> Report {
    let outputs: Vec<Value> = capabilities::CAPABILITIES.iter().map(summary).collect();
    let width = capabilities::CAPABILITIES
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(0);
    let text: String = capabilities::CAPABILITIES
        .iter()
        .map(|c| {
            let transports = c
                .transports
                .iter()
                .map(transport_name)
                .collect::<Vec<_>>()
                .join(",");
            let note = if c.available {
                ""
            } else {
                " (not available yet)"
            };
            format!(
                "{:width$}  {:13}  {}{note}\n",
                c.id, transports, c.description
            )
        })
        .collect();
    let data = Value::Array(outputs.clone());
    Report::data(
        Envelope::success("infer.list", Transport::Local).with_outputs(outputs),
        data,
        text,
    )
}

pub fn inspect(args: &InspectArgs) -> Result<Report> {
    let name = args.name.trim();
    let capability = capabilities::find(name).ok_or_else(|| {
        Error::usage(format!("unknown capability `{name}`"))
            .with_hint("`openclaw infer list` shows the capability ids")
    })?;
    let flags = flags_of(capability);
    let mut detail = summary(capability);
    // The reference lists bare flag names; the value names and help text
    // go in a key of our own.
    detail["flags"] = Value::Array(
        flags
            .iter()
            .map(|(flag, _)| json!(flag.split(' ').next().unwrap_or(flag)))
            .collect(),
    );
    detail["resultShape"] = json!(capability.result);
    detail["flagDetails"] = Value::Array(
        flags
            .iter()
            .map(|(flag, help)| json!({"flag": flag, "description": help}))
            .collect(),
    );
    let mut text = format!(
        "{}\n  {}\n  transports: {}\n  result: {}\n  available: {}\n  flags:\n",
        capability.id,
        capability.description,
        capability
            .transports
            .iter()
            .map(transport_name)
            .collect::<Vec<_>>()
            .join(", "),
        capability.result,
        capability.available,
    );
    for (flag, help) in &flags {
        text.push_str(&format!("    {flag:28} {help}\n"));
    }
    Ok(Report::data(
        Envelope::success("infer.inspect", Transport::Local).with_outputs(vec![detail.clone()]),
        detail,
        text,
    ))
}

fn summary(capability: &Capability) -> Value {
    json!({
        "id": capability.id,
        "description": capability.description,
        "transports": capability.transports,
        "result": capability.result,
        "available": capability.available,
    })
}

fn transport_name(transport: &Transport) -> &'static str {
    match transport {
        Transport::Local => "local",
        Transport::Gateway => "gateway",
    }
}

/// Flags come from the clap tree, so they can never drift from the parser.
fn flags_of(capability: &Capability) -> Vec<(String, String)> {
    let root = Cli::command();
    let mut command = root.find_subcommand("infer").expect("infer exists").clone();
    for part in capabilities::command_path(capability.id) {
        command = command
            .find_subcommand(part)
            .expect("capability table matches the tree")
            .clone();
    }
    command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && arg.get_long().is_some())
        .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
        .map(|arg| {
            let long = arg.get_long().expect("filtered");
            let takes_value = arg.get_action().takes_values();
            let flag = match arg.get_value_names().and_then(|names| names.first()) {
                Some(value) if takes_value => format!("--{long} <{value}>"),
                _ if takes_value => format!("--{long} <{}>", long.to_uppercase()),
                _ => format!("--{long}"),
            };
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            (flag, help)
        })
        .collect()
}
