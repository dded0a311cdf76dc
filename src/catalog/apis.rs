//! Which wire API a provider speaks for each capability besides chat, as the
//! catalog's `apis` object names it; the registry fills gaps from the chat `api`.

use serde::{Deserialize, Serialize};

use super::Api;

/// The image API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum ImageFamily {
    /// `/images/generations` and `/images/edits`.
    #[serde(rename = "openai-images")]
    OpenAi,
    /// xAI's `/images/generations` with aspect ratio and resolution.
    #[serde(rename = "xai-images")]
    Xai,
    /// Gemini `generateContent` with image output, or Imagen `predict`.
    #[serde(rename = "gemini-images")]
    Google,
    /// The Hugging Face inference router's text-to-image task.
    #[serde(rename = "huggingface-images")]
    HuggingFace,
    /// fal's synchronous model endpoints.
    #[serde(rename = "fal-images")]
    Fal,
    /// Chat completions with `modalities: ["image"]`.
    #[serde(rename = "openrouter-images")]
    OpenRouter,
}

/// The video job API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum VideoFamily {
    #[serde(rename = "openai-videos")]
    OpenAi,
    #[serde(rename = "gemini-veo")]
    Google,
    #[serde(rename = "fal-queue")]
    Fal,
    #[serde(rename = "xai-videos")]
    Xai,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum TranscriptionProtocol {
    /// `POST /audio/transcriptions` multipart (OpenAI, Groq, Mistral, local servers).
    #[serde(rename = "openai-transcriptions")]
    OpenAi,
    /// `POST /listen` with the raw audio.
    #[serde(rename = "deepgram-listen")]
    Deepgram,
    /// `POST /speech-to-text` multipart with `model_id`.
    #[serde(rename = "elevenlabs-speech-to-text")]
    ElevenLabs,
}

/// How a speech provider is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SpeechProtocol {
    /// `POST /audio/speech`.
    #[serde(rename = "openai-speech")]
    OpenAi,
    /// `POST /text-to-speech/{voice}`.
    #[serde(rename = "elevenlabs-text-to-speech")]
    ElevenLabs,
    /// A speech engine run on this machine.
    #[serde(rename = "local")]
    Local,
}

/// The wire protocol used for a provider's embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum EmbeddingProtocol {
    /// `POST /embeddings` (OpenAI, Mistral, OpenAI-compatible servers).
    #[serde(rename = "openai-embeddings")]
    OpenAi,
    /// Voyage's `/embeddings`, which also takes `input_type`.
    #[serde(rename = "voyage-embeddings")]
    Voyage,
    /// Gemini `batchEmbedContents`.
    #[serde(rename = "gemini-batch-embed")]
    Gemini,
    /// Ollama `/api/embed`.
    #[serde(rename = "ollama-embed")]
    Ollama,
}

/// One provider's API per capability; `None` where it has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Apis {
    pub image: Option<ImageFamily>,
    pub video: Option<VideoFamily>,
    pub transcription: Option<TranscriptionProtocol>,
    pub speech: Option<SpeechProtocol>,
    pub embedding: Option<EmbeddingProtocol>,
}

impl Apis {
    /// Fill every capability the row leaves open from what its chat `api`
    /// implies: an OpenAI-compatible server is assumed to offer OpenAI's
    /// image, transcription and embedding routes (speech only when it lists
    /// a speech model), a Gemini endpoint Gemini's, an Ollama server its own
    /// embeddings. Video is never assumed.
    pub fn or_from_chat(self, api: Api, lists_speech_model: bool) -> Apis {
        let openai = matches!(api, Api::OpenAiCompletions | Api::OpenAiResponses);
        let image = match api {
            _ if openai => Some(ImageFamily::OpenAi),
            Api::GoogleGenerativeAi => Some(ImageFamily::Google),
            _ => None,
        };
        let embedding = match api {
            _ if openai => Some(EmbeddingProtocol::OpenAi),
            Api::GoogleGenerativeAi => Some(EmbeddingProtocol::Gemini),
            Api::Ollama => Some(EmbeddingProtocol::Ollama),
            _ => None,
        };
        Apis {
            image: self.image.or(image),
            video: self.video,
            transcription: self
                .transcription
                .or(openai.then_some(TranscriptionProtocol::OpenAi)),
            speech: self
                .speech
                .or((openai && lists_speech_model).then_some(SpeechProtocol::OpenAi)),
            embedding: self.embedding.or(embedding),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_compatible_chat_implies_openai_media_routes() {
        let apis = Apis::default().or_from_chat(Api::OpenAiCompletions, false);
        assert_eq!(apis.image, Some(ImageFamily::OpenAi));
        assert_eq!(apis.transcription, Some(TranscriptionProtocol::OpenAi));
        assert_eq!(apis.embedding, Some(EmbeddingProtocol::OpenAi));
        assert_eq!(apis.speech, None, "speech needs a listed speech model");
        assert_eq!(apis.video, None);
        let speaking = Apis::default().or_from_chat(Api::OpenAiResponses, true);
        assert_eq!(speaking.speech, Some(SpeechProtocol::OpenAi));
    }

    #[test]
    fn other_chat_apis_imply_their_own_routes_or_none() {
        let google = Apis::default().or_from_chat(Api::GoogleGenerativeAi, true);
        assert_eq!(google.image, Some(ImageFamily::Google));
        assert_eq!(google.embedding, Some(EmbeddingProtocol::Gemini));
        assert_eq!((google.transcription, google.speech), (None, None));
        let ollama = Apis::default().or_from_chat(Api::Ollama, false);
        assert_eq!(ollama.embedding, Some(EmbeddingProtocol::Ollama));
        assert_eq!(ollama.image, None);
        for api in [Api::AnthropicMessages, Api::None, Api::Local] {
            assert_eq!(Apis::default().or_from_chat(api, true), Apis::default());
        }
    }

    #[test]
    fn a_named_api_wins_over_the_chat_default() {
        let named = Apis {
            image: Some(ImageFamily::Xai),
            ..Apis::default()
        };
        let apis = named.or_from_chat(Api::OpenAiResponses, false);
        assert_eq!(apis.image, Some(ImageFamily::Xai));
        assert_eq!(apis.embedding, Some(EmbeddingProtocol::OpenAi));
    }
}
