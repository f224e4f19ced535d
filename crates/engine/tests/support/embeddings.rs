//! The sentence-embedding model that `.ci/setup/embeddings.sh` installs, for the tests and
//! the benchmark under `--features embeddings`. Included by path.

use std::path::PathBuf;

use charter_engine::text::embed::Embeddings;

/// Where the model is: `$CHARTER_EMBEDDINGS`, else `target/models/all-minilm-l6-v2` in the
/// workspace.
pub fn model_dir() -> PathBuf {
    std::env::var_os("CHARTER_EMBEDDINGS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/models/all-minilm-l6-v2"),
        PathBuf::from,
    )
}

/// The installed model, loaded. When it is not installed: under CI (`CI=true`) a failure,
/// elsewhere `None` after a note saying how to install it.
pub fn installed_model() -> Option<Embeddings> {
    let dir = model_dir();
    if !dir.join("model.safetensors").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the embedding model is not installed in {} (run .ci/setup/embeddings.sh)",
            dir.display()
        );
        eprintln!(
            "NOTE: the embedding model is not installed in {}: run .ci/setup/embeddings.sh; \
             the embedding checks did not run",
            dir.display()
        );
        return None;
    }
    match Embeddings::load(&dir) {
        Ok(model) => Some(model),
        Err(e) => panic!("{e}"),
    }
}
