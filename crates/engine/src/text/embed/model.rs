//! all-MiniLM-L6-v2 on the CPU with candle.

use std::path::{Path, PathBuf};

use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use super::{EmbedError, Example, MAX_EMBED_BYTES, MODEL_FILES, Nearest, examples};

/// The model's window: sentence-transformers' `max_seq_length` for all-MiniLM-L6-v2.
const MAX_TOKENS: usize = 256;

/// The BERT model and its tokenizer.
struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
}

/// The loaded model and its example phrases, embedded.
pub struct Embeddings {
    encoder: Encoder,
    examples: Vec<Example>,
    /// One unit-length row per example.
    example_vectors: Tensor,
    version: u64,
}

impl std::fmt::Debug for Embeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embeddings")
            .field("examples", &self.examples.len())
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

fn bad(path: PathBuf, reason: impl std::fmt::Display) -> EmbedError {
    EmbedError::Bad {
        path,
        reason: reason.to_string(),
    }
}

impl Embeddings {
    /// Loads the model in `dir` ([`MODEL_FILES`]) and embeds the example phrases.
    pub fn load(dir: &Path) -> Result<Embeddings, EmbedError> {
        let read = |file: &'static str| {
            let path = dir.join(file);
            std::fs::read(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => EmbedError::Missing {
                    dir: dir.to_path_buf(),
                    file,
                },
                _ => bad(path, e),
            })
        };
        let [config_file, tokenizer_file, weights_file] = MODEL_FILES;
        let (config, tokenizer, weights) = (
            read(config_file)?,
            read(tokenizer_file)?,
            read(weights_file)?,
        );
        let config: Config =
            serde_json::from_slice(&config).map_err(|e| bad(dir.join(config_file), e))?;
        let mut tokenizer =
            Tokenizer::from_bytes(&tokenizer).map_err(|e| bad(dir.join(tokenizer_file), e))?;
        tokenizer
            .with_padding(None)
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| bad(dir.join(tokenizer_file), e))?;
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load_buffer(&weights, &device)
            .map_err(|e| bad(dir.join(weights_file), e))?;
        let model = BertModel::load(
            VarBuilder::from_tensors(tensors, DType::F32, &device),
            &config,
        )
        .map_err(|e| bad(dir.join(weights_file), format!("not a BERT model: {e}")))?;

        let encoder = Encoder { model, tokenizer };
        let examples = examples().map_err(|e| bad(PathBuf::from("(built in)"), e))?;
        let rows = examples
            .iter()
            .map(|e| encoder.embed(e.phrase))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(dir.join(weights_file), e))?;
        let example_vectors =
            Tensor::stack(&rows, 0).map_err(|e| bad(dir.join(weights_file), e))?;
        let fnv = crate::web::site_model::fnv;
        Ok(Embeddings {
            encoder,
            examples,
            example_vectors,
            version: fnv(&weights) ^ fnv(super::EXAMPLES_TSV.as_bytes()),
        })
    }

    /// The example nearest to `text`; `None` for an empty text, or if the model fails on it
    /// (candle reports shape errors, which these fixed shapes do not give).
    pub fn nearest(&self, text: &str) -> Option<Nearest> {
        if text.trim().is_empty() {
            return None;
        }
        let v = self.encoder.embed(text).ok()?;
        let sims: Vec<f32> = self
            .example_vectors
            .matmul(&v.unsqueeze(1).ok()?)
            .and_then(|s| s.squeeze(1))
            .and_then(|s| s.to_vec1())
            .ok()?;
        let (i, similarity) = sims.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some(Nearest {
            example: *self.examples.get(i)?,
            similarity: f64::from(*similarity),
            version: self.version,
        })
    }

    /// The version of the weights and examples: 48 bits of a hash of both.
    pub fn version(&self) -> String {
        super::version_string(self.version)
    }
}

impl Encoder {
    /// The unit-length embedding of `text` (its first [`MAX_EMBED_BYTES`], at most
    /// [`MAX_TOKENS`] tokens): the mean of the last layer's token vectors.
    fn embed(&self, text: &str) -> Result<Tensor, String> {
        let encoding = self
            .tokenizer
            .encode(&text[..text.floor_char_boundary(MAX_EMBED_BYTES)], true)
            .map_err(|e| e.to_string())?;
        let ids = Tensor::new(encoding.get_ids(), &Device::Cpu)
            .and_then(|t| t.unsqueeze(0))
            .map_err(|e| e.to_string())?;
        let types = ids.zeros_like().map_err(|e| e.to_string())?;
        let hidden = self
            .model
            .forward(&ids, &types, None)
            .map_err(|e| e.to_string())?;
        let mean = hidden
            .mean(1)
            .and_then(|m| m.squeeze(0))
            .map_err(|e| e.to_string())?;
        let norm = mean
            .sqr()
            .and_then(|s| s.sum_keepdim(D::Minus1))
            .and_then(|s| s.sqrt())
            .and_then(|n| n.clamp(1e-12, f64::MAX))
            .map_err(|e| e.to_string())?;
        mean.broadcast_div(&norm).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("charter-embed-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn load_err(dir: &Path) -> String {
        Embeddings::load(dir).expect_err("not a model").to_string()
    }

    #[test]
    fn a_missing_directory_or_file_is_named() {
        let dir = scratch("missing");
        let msg = load_err(&dir.join("nowhere"));
        assert!(
            msg.contains("nowhere") && msg.contains("no config.json"),
            "{msg}"
        );
        std::fs::write(dir.join("config.json"), "{}").expect("write");
        std::fs::write(dir.join("tokenizer.json"), "{}").expect("write");
        let msg = load_err(&dir);
        assert!(msg.contains("no model.safetensors"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_files_are_errors_naming_the_file() {
        let dir = scratch("damaged");
        for file in MODEL_FILES {
            std::fs::write(dir.join(file), "not what it should be").expect("write");
        }
        let msg = load_err(&dir);
        assert!(msg.contains("config.json"), "{msg}");
        std::fs::write(
            dir.join("config.json"),
            r#"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
                "num_attention_heads": 2, "intermediate_size": 8, "hidden_act": "gelu",
                "hidden_dropout_prob": 0.1, "max_position_embeddings": 16,
                "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
                "pad_token_id": 0}"#,
        )
        .expect("write");
        let msg = load_err(&dir);
        assert!(msg.contains("tokenizer.json"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
