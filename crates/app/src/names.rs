//! Names beside ids: `person 3 (Pat Jones)` wherever a person is mentioned.

use std::collections::HashMap;

use charter_store::Person;

use crate::App;
use crate::error::Result;

/// Everyone's name by id, read once for a listing.
#[derive(Debug, Clone, Default)]
pub struct Names(HashMap<i64, String>);

impl Names {
    /// From the people register.
    pub fn new(people: &[Person]) -> Names {
        Names(people.iter().map(|p| (p.id, p.full_name())).collect())
    }

    /// `Pat Jones`, or `unknown` for an id no one has.
    pub fn name(&self, id: i64) -> &str {
        self.0.get(&id).map_or("unknown", String::as_str)
    }

    /// `person 3 (Pat Jones)`.
    pub fn label(&self, id: i64) -> String {
        format!("person {id} ({})", self.name(id))
    }
}

impl App {
    /// Everyone's name, for listings.
    pub async fn names(&self) -> Result<Names> {
        Ok(Names::new(&self.store.people().await?))
    }
}
