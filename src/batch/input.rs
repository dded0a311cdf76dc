//! Reading a batch file: one JSON object a line, its keys the leaf's flags
//! in camelCase. Each line becomes a ready-to-run leaf command whose
//! unset flags fall back to the ones given on the command line.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::capabilities::structured::OutputSchema;
use crate::cli::InferCommand;
use crate::cli::audio::{AudioCommand, AudioTranscribeArgs};
use crate::cli::embedding::{EmbeddingCommand, EmbeddingCreateArgs};
use crate::cli::image::{ImageCommand, ImageDescribeArgs};
use crate::cli::model::{ModelCommand, ModelRunArgs};
use crate::cli::web::{FetchFormat, WebCommand, WebFetchArgs};
use crate::thinking::ThinkingLevel;

/// The leaf a batch runs, with the command line's flags as the defaults.
pub enum Leaf {
    ModelRun(ModelRunArgs),
    EmbeddingCreate(EmbeddingCreateArgs),
    ImageDescribe(ImageDescribeArgs),
    AudioTranscribe(AudioTranscribeArgs),
    WebFetch(WebFetchArgs),
}

impl Leaf {
    pub fn capability(&self) -> &'static str {
        match self {
            Leaf::ModelRun(_) => "model.run",
            Leaf::EmbeddingCreate(_) => "embedding.create",
            Leaf::ImageDescribe(_) => "image.describe",
            Leaf::AudioTranscribe(_) => "audio.transcribe",
            Leaf::WebFetch(_) => "web.fetch",
        }
    }

    /// The leaf command for one line, or why the line cannot run.
    fn command_for(&self, object: Value) -> Result<(Option<Value>, InferCommand), String> {
        match self {
            Leaf::ModelRun(defaults) => {
                let line: ModelRunLine = from_object(object)?;
                let id = line.id.clone();
                let args = line.apply(defaults)?;
                Ok((id, InferCommand::Model(ModelCommand::Run(args))))
            }
            Leaf::EmbeddingCreate(defaults) => {
                let line: EmbeddingLine = from_object(object)?;
                let id = line.id.clone();
                let args = line.apply(defaults)?;
                Ok((id, InferCommand::Embedding(EmbeddingCommand::Create(args))))
            }
            Leaf::ImageDescribe(defaults) => {
                let line: ImageDescribeLine = from_object(object)?;
                let id = line.id.clone();
                let args = line.apply(defaults)?;
                Ok((id, InferCommand::Image(ImageCommand::Describe(args))))
            }
            Leaf::AudioTranscribe(defaults) => {
                let line: AudioLine = from_object(object)?;
                let id = line.id.clone();
                let args = line.apply(defaults)?;
                Ok((id, InferCommand::Audio(AudioCommand::Transcribe(args))))
            }
            Leaf::WebFetch(defaults) => {
                let line: WebFetchLine = from_object(object)?;
                let id = line.id.clone();
                let args = line.apply(defaults)?;
                Ok((id, InferCommand::Web(WebCommand::Fetch(args))))
            }
        }
    }
}

/// One input line, parsed.
pub struct Job {
    /// 1-based line number in the file.
    pub line: usize,
    /// The line's `id`, else its line number.
    pub id: Value,
    pub work: Result<InferCommand, String>,
}

impl Job {
    /// The id as a comparable key (`"a"` and `1` stay distinct).
    pub fn key(&self) -> String {
        id_key(&self.id)
    }
}

pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// Every non-blank line of `text` as a job; invalid lines carry their
/// problem in `work`. Blank lines are skipped but still counted.
pub fn parse(leaf: &Leaf, text: &str) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut seen = HashSet::new();
    for (number, raw) in text.lines().enumerate() {
        let line = number + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let (id, work) = match parse_line(leaf, raw) {
            Ok((id, command)) => (id, Ok(command)),
            Err((id, problem)) => (id, Err(problem)),
        };
        let id = id.unwrap_or_else(|| Value::from(line));
        let work = if work.is_ok() && !seen.insert(id_key(&id)) {
            Err(format!("id {id} is used by an earlier line"))
        } else {
            work
        };
        jobs.push(Job { line, id, work });
    }
    jobs
}

type LineError = (Option<Value>, String);

fn parse_line(leaf: &Leaf, raw: &str) -> Result<(Option<Value>, InferCommand), LineError> {
    let value: Value = serde_json::from_str(raw)
        .map_err(|error| (None, format!("not valid JSON: {}", strip_position(&error))))?;
    let Value::Object(map) = &value else {
        return Err((None, "expected a JSON object".to_owned()));
    };
    // The id is checked first so a bad line is still reported under it.
    let id = match map.get("id") {
        None | Some(Value::Null) => None,
        Some(id @ Value::String(text)) if !text.trim().is_empty() => Some(id.clone()),
        Some(id @ Value::Number(_)) => Some(id.clone()),
        Some(_) => {
            return Err((
                None,
                "`id` must be a non-empty string or a number".to_owned(),
            ));
        }
    };
    let (_, command) = leaf
        .command_for(value)
        .map_err(|problem| (id.clone(), problem))?;
    Ok((id, command))
}

fn from_object<T: DeserializeOwned>(object: Value) -> Result<T, String> {
    serde_json::from_value(object).map_err(|error| strip_position(&error))
}

/// serde_json appends "at line 1 column 9", which means nothing to a user
/// who is counting lines of the file.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// A string, or a list of them (`"file": "a.png"` or `["a.png", "b.png"]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelRunLine {
    id: Option<Value>,
    prompt: Option<String>,
    file: Option<OneOrMany>,
    model: Option<String>,
    thinking: Option<String>,
    timeout_ms: Option<u64>,
    no_fallback: Option<bool>,
    schema: Option<Value>,
}

impl ModelRunLine {
    fn apply(self, defaults: &ModelRunArgs) -> Result<ModelRunArgs, String> {
        let mut args = defaults.clone();
        if let Some(prompt) = self.prompt {
            args.prompt = Some(prompt);
        }
        match args.prompt.as_deref() {
            None => return Err("`prompt` is missing (give it on the line or as `--prompt`)".into()),
            Some(prompt) if prompt.trim().is_empty() => {
                return Err("`prompt` must contain non-whitespace text".into());
            }
            // Standard input is the batch itself, or not there at all.
            Some("-") => return Err("`prompt` cannot be `-` in a batch".into()),
            Some(_) => {}
        }
        if let Some(files) = self.file {
            args.files = files.into_vec().into_iter().map(PathBuf::from).collect();
        }
        for file in &args.files {
            if !file.is_file() {
                return Err(format!("`file` {} does not exist", file.display()));
            }
        }
        if let Some(model) = self.model {
            args.model = Some(model);
        }
        if let Some(thinking) = self.thinking {
            let level = thinking
                .parse::<ThinkingLevel>()
                .map_err(|error| format!("`thinking`: {error}"))?;
            args.thinking = Some(level);
        }
        if let Some(ms) = self.timeout_ms {
            if ms == 0 {
                return Err("`timeoutMs` must be greater than zero".into());
            }
            args.timeout_ms = Some(ms);
        }
        if let Some(no_fallback) = self.no_fallback {
            args.no_fallback = no_fallback;
        }
        if let Some(schema) = self.schema {
            args.schema = Some(match schema {
                Value::String(text) => text,
                other => other.to_string(),
            });
        }
        if let Some(schema) = &args.schema {
            OutputSchema::parse(schema)
                .map_err(|error| format!("`schema`: {}", error.message()))?;
        }
        Ok(args)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EmbeddingLine {
    id: Option<Value>,
    text: Option<OneOrMany>,
    model: Option<String>,
    provider: Option<String>,
}

impl EmbeddingLine {
    fn apply(self, defaults: &EmbeddingCreateArgs) -> Result<EmbeddingCreateArgs, String> {
        let mut args = defaults.clone();
        if let Some(texts) = self.text {
            args.texts = texts.into_vec();
        }
        if args.texts.is_empty() {
            return Err("`text` is missing (give it on the line or as `--text`)".into());
        }
        if args.texts.iter().any(|text| text.trim().is_empty()) {
            return Err("`text` must not be blank".into());
        }
        if let Some(model) = self.model {
            args.model = Some(model);
        }
        if let Some(provider) = self.provider {
            args.provider = Some(provider);
        }
        Ok(args)
    }
}

/// A line's non-blank text, else the command line's; `None` when neither.
fn text_or(
    line: Option<String>,
    default: &Option<String>,
    key: &str,
) -> Result<Option<String>, String> {
    match line {
        Some(text) if text.trim().is_empty() => Err(format!("`{key}` must not be blank")),
        Some(text) => Ok(Some(text)),
        None => Ok(default.clone()),
    }
}

fn positive_ms(ms: Option<u64>, default: Option<u64>) -> Result<Option<u64>, String> {
    match ms {
        Some(0) => Err("`timeoutMs` must be greater than zero".into()),
        Some(ms) => Ok(Some(ms)),
        None => Ok(default),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImageDescribeLine {
    id: Option<Value>,
    file: Option<String>,
    prompt: Option<String>,
    model: Option<String>,
    timeout_ms: Option<u64>,
}

impl ImageDescribeLine {
    fn apply(self, defaults: &ImageDescribeArgs) -> Result<ImageDescribeArgs, String> {
        let mut args = defaults.clone();
        args.file = text_or(self.file, &defaults.file, "file")?;
        let Some(file) = args.file.as_deref() else {
            return Err("`file` is missing (give it on the line or as `--file`)".into());
        };
        let remote = file.starts_with("http://") || file.starts_with("https://");
        if !remote && !std::path::Path::new(file).is_file() {
            return Err(format!("`file` {file} does not exist"));
        }
        args.options.prompt = text_or(self.prompt, &defaults.options.prompt, "prompt")?;
        args.options.model = text_or(self.model, &defaults.options.model, "model")?;
        args.options.timeout_ms = positive_ms(self.timeout_ms, defaults.options.timeout_ms)?;
        Ok(args)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AudioLine {
    id: Option<Value>,
    file: Option<String>,
    language: Option<String>,
    prompt: Option<String>,
    model: Option<String>,
}

impl AudioLine {
    fn apply(self, defaults: &AudioTranscribeArgs) -> Result<AudioTranscribeArgs, String> {
        let mut args = defaults.clone();
        if let Some(file) = text_or(self.file, &None, "file")? {
            args.file = Some(PathBuf::from(file));
        }
        let Some(file) = &args.file else {
            return Err("`file` is missing (give it on the line or as `--file`)".into());
        };
        if !file.is_file() {
            return Err(format!("`file` {} does not exist", file.display()));
        }
        args.language = text_or(self.language, &defaults.language, "language")?;
        args.prompt = text_or(self.prompt, &defaults.prompt, "prompt")?;
        args.model = text_or(self.model, &defaults.model, "model")?;
        Ok(args)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebFetchLine {
    id: Option<Value>,
    url: Option<String>,
    provider: Option<String>,
    format: Option<String>,
}

impl WebFetchLine {
    fn apply(self, defaults: &WebFetchArgs) -> Result<WebFetchArgs, String> {
        let mut args = defaults.clone();
        args.url = text_or(self.url, &defaults.url, "url")?;
        if args.url.is_none() {
            return Err("`url` is missing (give it on the line or as `--url`)".into());
        }
        args.provider = text_or(self.provider, &defaults.provider, "provider")?;
        if let Some(format) = self.format {
            args.format =
                <FetchFormat as clap::ValueEnum>::from_str(&format, true).map_err(|_| {
                    let known: Vec<String> = <FetchFormat as clap::ValueEnum>::value_variants()
                        .iter()
                        .filter_map(clap::ValueEnum::to_possible_value)
                        .map(|v| v.get_name().to_owned())
                        .collect();
                    format!(
                        "`format` must be one of {}, not `{format}`",
                        known.join(", ")
                    )
                })?;
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn model_leaf(extra: &[&str]) -> Leaf {
        let mut argv = vec!["openclaw", "infer", "model", "run", "--batch", "x"];
        argv.extend_from_slice(extra);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        match cli.command {
            crate::cli::Command::Infer(infer) => match infer.command {
                InferCommand::Model(ModelCommand::Run(args)) => Leaf::ModelRun(args),
                _ => unreachable!(),
            },
            _ => unreachable!(),
        }
    }

    fn run_args(job: &Job) -> &ModelRunArgs {
        match &job.work {
            Ok(InferCommand::Model(ModelCommand::Run(args))) => args,
            other => panic!("not a model run: {:?}", other.as_ref().err()),
        }
    }

    #[test]
    fn lines_inherit_the_command_line_flags() {
        let leaf = model_leaf(&["--model", "a/b", "--thinking", "low"]);
        let jobs = parse(
            &leaf,
            "{\"prompt\":\"one\"}\n\n{\"id\":\"x\",\"prompt\":\"two\",\"model\":\"c/d\"}\n",
        );
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].id, Value::from(1));
        assert_eq!(run_args(&jobs[0]).model.as_deref(), Some("a/b"));
        assert_eq!(run_args(&jobs[0]).prompt.as_deref(), Some("one"));
        assert_eq!(jobs[1].line, 3);
        assert_eq!(jobs[1].id, Value::from("x"));
        assert_eq!(run_args(&jobs[1]).model.as_deref(), Some("c/d"));
        assert!(run_args(&jobs[1]).thinking.is_some());
    }

    #[test]
    fn problems_are_named_per_line() {
        let leaf = model_leaf(&[]);
        let jobs = parse(
            &leaf,
            "{\"prompt\":\"ok\"}\nnot json\n{\"promt\":\"x\"}\n[1]\n{\"id\":\"q\"}\n{\"id\":1,\"prompt\":\"dup\"}\n{\"prompt\":\"t\",\"thinking\":\"huge\"}\n",
        );
        let problems: Vec<_> = jobs
            .iter()
            .map(|j| j.work.as_ref().err().cloned())
            .collect();
        assert!(problems[0].is_none());
        assert!(problems[1].as_ref().unwrap().contains("not valid JSON"));
        assert!(
            problems[2]
                .as_ref()
                .unwrap()
                .contains("unknown field `promt`")
        );
        assert!(problems[3].as_ref().unwrap().contains("JSON object"));
        assert!(
            problems[4]
                .as_ref()
                .unwrap()
                .contains("`prompt` is missing")
        );
        assert_eq!(jobs[4].id, Value::from("q"));
        assert!(
            problems[5]
                .as_ref()
                .unwrap()
                .contains("used by an earlier line")
        );
        assert!(problems[6].as_ref().unwrap().contains("thinking"));
    }

    fn leaf_of(argv: &[&str]) -> Leaf {
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        let crate::cli::Command::Infer(infer) = cli.command else {
            unreachable!()
        };
        match infer.command {
            InferCommand::Web(WebCommand::Fetch(args)) => Leaf::WebFetch(args),
            InferCommand::Audio(AudioCommand::Transcribe(args)) => Leaf::AudioTranscribe(args),
            _ => unreachable!(),
        }
    }

    #[test]
    fn web_fetch_lines_take_url_format_and_provider() {
        let leaf = leaf_of(&[
            "openclaw", "infer", "web", "fetch", "--batch", "x", "--format", "text",
        ]);
        let jobs = parse(
            &leaf,
            "{\"url\":\"https://a.example/\"}\n{\"url\":\"https://b.example/\",\"format\":\"MARKDOWN\"}\n{\"url\":\" \"}\n",
        );
        let formats: Vec<_> = jobs
            .iter()
            .map(|job| match &job.work {
                Ok(InferCommand::Web(WebCommand::Fetch(args))) => Some(args.format),
                _ => None,
            })
            .collect();
        assert_eq!(
            formats,
            [Some(FetchFormat::Text), Some(FetchFormat::Markdown), None]
        );
        assert!(
            jobs[2]
                .work
                .as_ref()
                .err()
                .unwrap()
                .contains("`url` must not be blank")
        );
    }

    #[test]
    fn audio_lines_need_an_existing_file() {
        let leaf = leaf_of(&["openclaw", "infer", "audio", "transcribe", "--batch", "x"]);
        let jobs = parse(
            &leaf,
            "{\"file\":\"/no/such.wav\"}\n{\"language\":\"en\"}\n",
        );
        assert!(
            jobs[0]
                .work
                .as_ref()
                .err()
                .unwrap()
                .contains("does not exist")
        );
        assert!(
            jobs[1]
                .work
                .as_ref()
                .err()
                .unwrap()
                .contains("`file` is missing")
        );
    }

    #[test]
    fn ids_keep_their_type_in_keys() {
        assert_ne!(id_key(&Value::from(1)), id_key(&Value::from("1")));
    }
}
