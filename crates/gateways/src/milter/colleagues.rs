//! Colleagues' names for the spoofed-sender check, replaceable while the milter runs.

use std::sync::{Arc, RwLock};

/// Colleagues' display names, lowercase: an outside sender using one is a spoof. Clones share
/// one list, so that `serve` can give the milter a `Colleagues` and later
/// [`Colleagues::replace`] it with a fresh read of the people register (as it does the
/// [`Roles`](crate::web::Roles)): each message is checked against the old list or the new
/// one, whole.
#[derive(Debug, Clone, Default)]
pub struct Colleagues(Arc<RwLock<Arc<[String]>>>);

impl Colleagues {
    /// These names (lowercase).
    pub fn new(names: Vec<String>) -> Colleagues {
        Colleagues(Arc::new(RwLock::new(Arc::from(names))))
    }

    /// Replaces the names, for every clone.
    pub fn replace(&self, names: Vec<String>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::from(names);
    }

    /// The names now; a later [`Colleagues::replace`] does not change what this returned.
    pub fn current(&self) -> Arc<[String]> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_reaches_every_clone_and_spares_what_was_taken() {
        let live = Colleagues::default();
        let milter = live.clone();
        let before = milter.current();
        live.replace(vec!["ann smith".to_string()]);
        assert!(before.is_empty());
        assert_eq!(&*milter.current(), ["ann smith".to_string()]);
        assert_eq!(milter.len(), 1);
    }
}
