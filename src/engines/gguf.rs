//! A small reader for GGUF model headers (the file format of llama.cpp).
//!
//! It reads the metadata key/values and tensor descriptions, never the
//! weights, so `model inspect` works in every build and a bad file is
//! rejected here, with a one-line error, before it reaches C code.
//!
//! Layout (little-endian): magic `GGUF`, u32 version (2 or 3), u64 tensor
//! count, u64 key/value count, the key/values, the tensor descriptions
//! (name, dims, type, offset), then padding to `general.alignment` (default
//! 32) and the tensor data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

/// Why a file cannot be used as a GGUF model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GgufError {
    Missing,
    Unreadable(String),
    NotGguf,
    UnsupportedVersion(u32),
    Truncated(String),
    Invalid(String),
}

impl std::fmt::Display for GgufError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GgufError::Missing => f.write_str("no such file"),
            GgufError::Unreadable(why) => write!(f, "cannot read it: {why}"),
            GgufError::NotGguf => f.write_str("not a GGUF file (no `GGUF` magic at its start)"),
            GgufError::UnsupportedVersion(v) => {
                write!(f, "GGUF version {v} is not supported (only 2 and 3)")
            }
            GgufError::Truncated(what) => write!(f, "truncated GGUF file: {what}"),
            GgufError::Invalid(what) => write!(f, "invalid GGUF file: {what}"),
        }
    }
}

/// A metadata value. Arrays keep their element type and length only,
/// except short string arrays (e.g. `general.languages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Strings(Vec<String>),
    Array { array: &'static str, len: u64 },
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Gguf {
    pub version: u32,
    pub file_size: u64,
    pub tensor_count: u64,
    pub metadata: BTreeMap<String, Value>,
    /// Where tensor data starts.
    pub data_offset: u64,
    /// Where the last tensor's data ends (`data_offset` + its offset + size).
    pub data_end: u64,
}

impl Gguf {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }

    pub fn architecture(&self) -> Option<&str> {
        self.get("general.architecture").and_then(Value::as_str)
    }

    pub fn name(&self) -> Option<&str> {
        self.get("general.name").and_then(Value::as_str)
    }

    /// The context length the model was trained for (`<arch>.context_length`).
    pub fn context_length(&self) -> Option<u64> {
        let arch = self.architecture()?;
        self.get(&format!("{arch}.context_length"))
            .and_then(Value::as_u64)
    }

    pub fn chat_template(&self) -> Option<&str> {
        self.get("tokenizer.chat_template")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
    }

    pub fn file_type(&self) -> Option<u64> {
        self.get("general.file_type").and_then(Value::as_u64)
    }

    /// The quantisation as llama.cpp names it, e.g. `Q4_1`.
    pub fn file_type_name(&self) -> Option<&'static str> {
        self.file_type().and_then(file_type_name)
    }

    /// Whether llama.cpp can run this architecture as a text chat model.
    pub fn check_supported(&self) -> Result<&str, Unsupported> {
        let arch = self.architecture().ok_or(Unsupported::NoArchitecture)?;
        if SUPPORTED_ARCHITECTURES.contains(&arch) {
            Ok(arch)
        } else if NOT_CHAT_ARCHITECTURES.contains(&arch) {
            Err(Unsupported::NotChat(arch.to_owned()))
        } else {
            Err(Unsupported::UnknownArchitecture(arch.to_owned()))
        }
    }
}

/// Why the bundled llama.cpp cannot chat with a GGUF file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("it has no `general.architecture` key")]
    NoArchitecture,
    #[error("architecture `{0}` is not a text chat model (projector, encoder or embedding model)")]
    NotChat(String),
    #[error("architecture `{0}` is not supported by the bundled llama.cpp")]
    UnknownArchitecture(String),
}

/// Architectures the bundled llama.cpp (llama-cpp-sys-2 0.1.161) can run
/// as a text generator, from its `LLM_ARCH_NAMES`.
pub const SUPPORTED_ARCHITECTURES: &[&str] = &[
    "llama",
    "llama4",
    "deci",
    "falcon",
    "grok",
    "gpt2",
    "gptj",
    "gptneox",
    "mpt",
    "baichuan",
    "starcoder",
    "refact",
    "bloom",
    "stablelm",
    "qwen",
    "qwen2",
    "qwen2moe",
    "qwen2vl",
    "qwen3",
    "qwen3moe",
    "qwen3next",
    "qwen3vl",
    "qwen3vlmoe",
    "qwen35",
    "qwen35moe",
    "phi2",
    "phi3",
    "phimoe",
    "plamo",
    "plamo2",
    "plamo3",
    "codeshell",
    "orion",
    "internlm2",
    "minicpm",
    "minicpm3",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3n",
    "gemma4",
    "starcoder2",
    "mamba",
    "mamba2",
    "jamba",
    "falcon-h1",
    "xverse",
    "command-r",
    "cohere2",
    "cohere2moe",
    "dbrx",
    "olmo",
    "olmo2",
    "olmoe",
    "openelm",
    "arctic",
    "deepseek",
    "deepseek2",
    "deepseek32",
    "deepseek4",
    "chatglm",
    "glm4",
    "glm4moe",
    "bitnet",
    "t5",
    "jais",
    "jais2",
    "nemotron",
    "nemotron_h",
    "nemotron_h_moe",
    "exaone",
    "exaone4",
    "exaone-moe",
    "rwkv6",
    "rwkv6qwen2",
    "rwkv7",
    "arwkv7",
    "granite",
    "granitemoe",
    "granitehybrid",
    "granite_swa",
    "chameleon",
    "plm",
    "bailingmoe",
    "bailingmoe2",
    "bailingmoe3",
    "dots1",
    "arcee",
    "afmoe",
    "ernie4_5",
    "ernie4_5-moe",
    "hunyuan-moe",
    "hunyuan-dense",
    "smollm3",
    "gpt-oss",
    "lfm2",
    "lfm2moe",
    "smallthinker",
    "seed_oss",
    "grovemoe",
    "apertus",
    "minimax-m2",
    "mistral3",
    "mistral4",
];

/// Architectures llama.cpp knows but that cannot answer a chat prompt.
const NOT_CHAT_ARCHITECTURES: &[&str] = &[
    "clip",
    "bert",
    "modern-bert",
    "nomic-bert",
    "nomic-bert-moe",
    "neo-bert",
    "jina-bert-v2",
    "jina-bert-v3",
    "eurobert",
    "t5encoder",
    "wavtokenizer-dec",
    "gemma-embedding",
];

/// llama.cpp's `llama_ftype` names (`general.file_type`).
fn file_type_name(file_type: u64) -> Option<&'static str> {
    Some(match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        _ => return None,
    })
}

/// (elements per block, bytes per block) of a ggml tensor type.
fn tensor_type_layout(kind: u32) -> Option<(u64, u64)> {
    Some(match kind {
        0 => (1, 4),     // F32
        1 => (1, 2),     // F16
        2 => (32, 18),   // Q4_0
        3 => (32, 20),   // Q4_1
        6 => (32, 22),   // Q5_0
        7 => (32, 24),   // Q5_1
        8 => (32, 34),   // Q8_0
        9 => (32, 36),   // Q8_1
        10 => (256, 84), // Q2_K
        11 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        16 => (256, 66), // IQ2_XXS
        17 => (256, 74),
        18 => (256, 98),
        19 => (256, 50),
        20 => (32, 18), // IQ4_NL
        21 => (256, 110),
        22 => (256, 82),
        23 => (256, 136),
        24 => (1, 1), // I8
        25 => (1, 2),
        26 => (1, 4),
        27 => (1, 8),
        28 => (1, 8), // F64
        29 => (256, 56),
        30 => (1, 2), // BF16
        34 => (256, 54),
        35 => (256, 66),
        39 => (32, 17), // MXFP4
        40 => (64, 36), // NVFP4
        41 => (128, 18),
        42 => (64, 18),
        _ => return None,
    })
}

/// Short string arrays are kept whole; longer ones (vocabularies) only
/// by length.
const KEEP_STRINGS: u64 = 16;
/// No real GGUF has more dimensions than this (ggml's GGML_MAX_DIMS).
const MAX_DIMS: u32 = 4;

struct Reader {
    inner: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Reader {
    fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>, GgufError> {
        self.need(n, what)?;
        let mut buffer = vec![0; n as usize];
        self.inner
            .read_exact(&mut buffer)
            .map_err(|e| GgufError::Unreadable(e.to_string()))?;
        self.pos += n;
        Ok(buffer)
    }

    fn need(&self, n: u64, what: &str) -> Result<(), GgufError> {
        if self.len.saturating_sub(self.pos) < n {
            return Err(GgufError::Truncated(format!(
                "the file ends at byte {} inside {what}",
                self.len
            )));
        }
        Ok(())
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), GgufError> {
        self.need(n, what)?;
        let step = i64::try_from(n).map_err(|_| GgufError::Invalid(format!("{what} too large")))?;
        self.inner
            .seek_relative(step)
            .map_err(|e| GgufError::Unreadable(e.to_string()))?;
        self.pos += n;
        Ok(())
    }

    fn fixed<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        self.need(N as u64, what)?;
        let mut buffer = [0; N];
        self.inner
            .read_exact(&mut buffer)
            .map_err(|e| GgufError::Unreadable(e.to_string()))?;
        self.pos += N as u64;
        Ok(buffer)
    }

    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.fixed(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.fixed(what)?))
    }

    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        let bytes = self.bytes(len, what)?;
        String::from_utf8(bytes).map_err(|_| GgufError::Invalid(format!("{what} is not UTF-8")))
    }

    fn skip_string(&mut self, what: &str) -> Result<(), GgufError> {
        let len = self.u64(what)?;
        self.skip(len, what)
    }

    fn scalar(&mut self, kind: u32, what: &str) -> Result<Value, GgufError> {
        Ok(match kind {
            0 => Value::Uint(u64::from(self.fixed::<1>(what)?[0])),
            1 => Value::Int(i64::from(self.fixed::<1>(what)?[0] as i8)),
            2 => Value::Uint(u64::from(u16::from_le_bytes(self.fixed(what)?))),
            3 => Value::Int(i64::from(i16::from_le_bytes(self.fixed(what)?))),
            4 => Value::Uint(u64::from(self.u32(what)?)),
            5 => Value::Int(i64::from(i32::from_le_bytes(self.fixed(what)?))),
            6 => Value::Float(f64::from(f32::from_le_bytes(self.fixed(what)?))),
            7 => Value::Bool(self.fixed::<1>(what)?[0] != 0),
            8 => Value::Text(self.string(what)?),
            10 => Value::Uint(self.u64(what)?),
            11 => Value::Int(i64::from_le_bytes(self.fixed(what)?)),
            12 => Value::Float(f64::from_le_bytes(self.fixed(what)?)),
            other => {
                return Err(GgufError::Invalid(format!(
                    "{what} has unknown value type {other}"
                )));
            }
        })
    }

    fn value(&mut self, kind: u32, what: &str) -> Result<Value, GgufError> {
        if kind != 9 {
            return self.scalar(kind, what);
        }
        let element = self.u32(what)?;
        let len = self.u64(what)?;
        let width = match element {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            8 => 0,
            other => {
                return Err(GgufError::Invalid(format!(
                    "{what} is an array of unknown type {other}"
                )));
            }
        };
        if element == 8 {
            if len <= KEEP_STRINGS {
                let items = (0..len)
                    .map(|_| self.string(what))
                    .collect::<Result<_, _>>()?;
                return Ok(Value::Strings(items));
            }
            // Every string takes at least its 8-byte length.
            self.need(len.saturating_mul(8), what)?;
            for _ in 0..len {
                self.skip_string(what)?;
            }
        } else {
            self.skip(len.saturating_mul(width), what)?;
        }
        Ok(Value::Array {
            array: type_name(element),
            len,
        })
    }
}

fn type_name(kind: u32) -> &'static str {
    match kind {
        0 => "u8",
        1 => "i8",
        2 => "u16",
        3 => "i16",
        4 => "u32",
        5 => "i32",
        6 => "f32",
        7 => "bool",
        8 => "string",
        10 => "u64",
        11 => "i64",
        12 => "f64",
        _ => "array",
    }
}

/// Read and check a GGUF file's header, key/values and tensor table, and
/// that the file is long enough to hold every tensor it describes.
pub fn read(path: &Path) -> Result<Gguf, GgufError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(GgufError::Missing);
        }
        Err(error) => return Err(GgufError::Unreadable(error.to_string())),
    };
    let meta = file
        .metadata()
        .map_err(|e| GgufError::Unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(GgufError::Unreadable("it is a directory".to_owned()));
    }
    let mut reader = Reader {
        inner: BufReader::with_capacity(1 << 16, file),
        pos: 0,
        len: meta.len(),
    };
    if reader.len < 4 || reader.fixed::<4>("the magic").ok() != Some(*b"GGUF") {
        return Err(GgufError::NotGguf);
    }
    let version = reader.u32("the version")?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion(version));
    }
    let tensor_count = reader.u64("the tensor count")?;
    let kv_count = reader.u64("the metadata count")?;
    // Each key/value takes at least 12 bytes, each tensor at least 24.
    reader.need(kv_count.saturating_mul(12), "the metadata")?;
    reader.need(tensor_count.saturating_mul(24), "the tensor table")?;

    let mut metadata = BTreeMap::new();
    for index in 0..kv_count {
        let key = reader.string(&format!("metadata key #{index}"))?;
        let kind = reader.u32(&format!("metadata `{key}`"))?;
        let value = reader.value(kind, &format!("metadata `{key}`"))?;
        metadata.insert(key, value);
    }

    let mut tensor_end = 0u64;
    for index in 0..tensor_count {
        let name = reader.string(&format!("tensor #{index}"))?;
        let what = format!("tensor `{name}`");
        let dims = reader.u32(&what)?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(GgufError::Invalid(format!("{what} has {dims} dimensions")));
        }
        let mut elements = 1u64;
        let mut first = 0;
        for d in 0..dims {
            let size = reader.u64(&what)?;
            if d == 0 {
                first = size;
            }
            elements = elements
                .checked_mul(size)
                .ok_or_else(|| GgufError::Invalid(format!("{what} is impossibly large")))?;
        }
        let kind = reader.u32(&what)?;
        let offset = reader.u64(&what)?;
        let (block, bytes) = tensor_type_layout(kind)
            .ok_or_else(|| GgufError::Invalid(format!("{what} has unknown tensor type {kind}")))?;
        if first % block != 0 {
            return Err(GgufError::Invalid(format!(
                "{what}: row length {first} is not a multiple of its block size {block}"
            )));
        }
        let size = (elements / block)
            .checked_mul(bytes)
            .and_then(|s| s.checked_add(offset))
            .ok_or_else(|| GgufError::Invalid(format!("{what} is impossibly large")))?;
        tensor_end = tensor_end.max(size);
    }

    let alignment = match metadata.get("general.alignment") {
        None => 32,
        Some(value) => value
            .as_u64()
            .filter(|a| *a > 0 && a.is_power_of_two())
            .ok_or_else(|| {
                GgufError::Invalid("`general.alignment` is not a power of two".to_owned())
            })?,
    };
    let data_offset = reader.pos.div_ceil(alignment) * alignment;
    let data_end = data_offset.saturating_add(tensor_end);
    if data_end > reader.len {
        return Err(GgufError::Truncated(format!(
            "its tensors need {data_end} bytes but the file has {}",
            reader.len
        )));
    }
    Ok(Gguf {
        version,
        file_size: reader.len,
        tensor_count,
        metadata,
        data_offset,
        data_end,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds small GGUF files for tests.
    pub struct Builder {
        kvs: Vec<u8>,
        kv_count: u64,
        tensors: Vec<(String, Vec<u64>, u32, u64)>,
    }

    impl Builder {
        pub fn new() -> Builder {
            Builder {
                kvs: Vec::new(),
                kv_count: 0,
                tensors: Vec::new(),
            }
        }

        fn key(&mut self, key: &str, kind: u32) {
            self.kvs.extend((key.len() as u64).to_le_bytes());
            self.kvs.extend(key.as_bytes());
            self.kvs.extend(kind.to_le_bytes());
            self.kv_count += 1;
        }

        pub fn text(mut self, key: &str, value: &str) -> Builder {
            self.key(key, 8);
            self.kvs.extend((value.len() as u64).to_le_bytes());
            self.kvs.extend(value.as_bytes());
            self
        }

        pub fn u32(mut self, key: &str, value: u32) -> Builder {
            self.key(key, 4);
            self.kvs.extend(value.to_le_bytes());
            self
        }

        pub fn strings(mut self, key: &str, values: &[&str]) -> Builder {
            self.key(key, 9);
            self.kvs.extend(8u32.to_le_bytes());
            self.kvs.extend((values.len() as u64).to_le_bytes());
            for value in values {
                self.kvs.extend((value.len() as u64).to_le_bytes());
                self.kvs.extend(value.as_bytes());
            }
            self
        }

        /// An F32 tensor of `dims`.
        pub fn tensor(mut self, name: &str, dims: &[u64]) -> Builder {
            let offset = self
                .tensors
                .iter()
                .map(|(_, d, _, o)| o + d.iter().product::<u64>() * 4)
                .max()
                .unwrap_or(0)
                .div_ceil(32)
                * 32;
            self.tensors
                .push((name.to_owned(), dims.to_vec(), 0, offset));
            self
        }

        pub fn build(self) -> Vec<u8> {
            let mut out = b"GGUF".to_vec();
            out.extend(3u32.to_le_bytes());
            out.extend((self.tensors.len() as u64).to_le_bytes());
            out.extend(self.kv_count.to_le_bytes());
            out.extend(&self.kvs);
            let mut end = 0;
            for (name, dims, kind, offset) in &self.tensors {
                out.extend((name.len() as u64).to_le_bytes());
                out.extend(name.as_bytes());
                out.extend((dims.len() as u32).to_le_bytes());
                for d in dims {
                    out.extend(d.to_le_bytes());
                }
                out.extend(kind.to_le_bytes());
                out.extend(offset.to_le_bytes());
                end = end.max(offset + dims.iter().product::<u64>() * 4);
            }
            out.resize(out.len().div_ceil(32) * 32, 0);
            out.resize(out.len() + end as usize, 0);
            out
        }
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    fn sample() -> Vec<u8> {
        Builder::new()
            .text("general.architecture", "llama")
            .text("general.name", "Tiny")
            .u32("llama.context_length", 2048)
            .u32("general.file_type", 3)
            .strings("general.languages", &["en"])
            .text("tokenizer.chat_template", "{{ messages }}")
            .tensor("a", &[8, 2])
            .tensor("b", &[4])
            .build()
    }

    #[test]
    fn reads_metadata_of_a_well_formed_file() {
        let file = write(&sample());
        let gguf = read(file.path()).unwrap();
        assert_eq!(gguf.version, 3);
        assert_eq!(gguf.architecture(), Some("llama"));
        assert_eq!(gguf.context_length(), Some(2048));
        assert_eq!(gguf.file_type_name(), Some("Q4_1"));
        assert_eq!(gguf.chat_template(), Some("{{ messages }}"));
        assert_eq!(
            gguf.get("general.languages"),
            Some(&Value::Strings(vec!["en".into()]))
        );
        assert_eq!(gguf.tensor_count, 2);
        assert_eq!(gguf.data_end, gguf.file_size);
        assert_eq!(gguf.check_supported(), Ok("llama"));
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            let file = write(&bytes[..cut]);
            let error = read(file.path()).unwrap_err();
            assert!(
                matches!(error, GgufError::NotGguf | GgufError::Truncated(_)),
                "cut at {cut}: {error:?}"
            );
        }
    }

    #[test]
    fn rejects_other_files() {
        assert_eq!(
            read(Path::new("/nonexistent/x.gguf")).unwrap_err(),
            GgufError::Missing
        );
        let file = write(b"PK\x03\x04 not a model at all");
        assert_eq!(read(file.path()).unwrap_err(), GgufError::NotGguf);
        let mut bytes = sample();
        bytes[4] = 1;
        let file = write(&bytes);
        assert_eq!(
            read(file.path()).unwrap_err(),
            GgufError::UnsupportedVersion(1)
        );
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(0u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(u64::MAX.to_le_bytes()); // key length
        let file = write(&bytes);
        assert!(matches!(
            read(file.path()).unwrap_err(),
            GgufError::Truncated(_)
        ));
    }

    #[test]
    fn unknown_architecture_is_reported() {
        let bytes = Builder::new()
            .text("general.architecture", "frobnicator")
            .build();
        let file = write(&bytes);
        let gguf = read(file.path()).unwrap();
        assert_eq!(
            gguf.check_supported(),
            Err(Unsupported::UnknownArchitecture("frobnicator".into()))
        );
        let bytes = Builder::new().text("general.architecture", "clip").build();
        let file = write(&bytes);
        let error = read(file.path()).unwrap().check_supported().unwrap_err();
        assert!(
            error.to_string().contains("not a text chat model"),
            "{error}"
        );
    }
}
