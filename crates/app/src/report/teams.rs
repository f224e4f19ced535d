//! Teams for the report's charts: a person's team is their department in the people
//! register. No chart may single out a person, so a team of fewer than [`MIN_TEAM`] people is
//! merged into "other teams", and when that pool itself holds fewer than [`MIN_TEAM`] the
//! smallest named teams join it until it does (or none is left).

use std::collections::{BTreeMap, HashMap};

use charter_store::{Account, Person, PersonStatus};

/// The fewest people a team shown by name may have.
pub const MIN_TEAM: usize = 5;

/// What the merged small teams are called.
pub const OTHER_TEAMS: &str = "other teams";

/// Which shown team each account name counts towards.
#[derive(Debug, Clone, Default)]
pub struct Teams {
    /// Account name → the team it is shown under.
    by_account: HashMap<String, String>,
    /// Teams shown by name, with their sizes.
    pub named: BTreeMap<String, usize>,
    /// People in the merged pool.
    pub other_size: usize,
}

impl Teams {
    /// The teams of the people in the register (not erased) and their accounts.
    pub fn new(people: &[Person], accounts: &[Account]) -> Teams {
        let team_of = |p: &Person| {
            p.department
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .unwrap_or("no department")
                .to_string()
        };
        let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
        for p in people.iter().filter(|p| p.status == PersonStatus::Active) {
            *sizes.entry(team_of(p)).or_default() += 1;
        }
        let mut named: BTreeMap<String, usize> = BTreeMap::new();
        let mut other_size = 0;
        for (team, n) in sizes {
            if n >= MIN_TEAM {
                named.insert(team, n);
            } else {
                other_size += n;
            }
        }
        while other_size > 0 && other_size < MIN_TEAM {
            let Some((smallest, n)) = named
                .iter()
                .min_by_key(|(t, n)| (**n, (*t).clone()))
                .map(|(t, n)| (t.clone(), *n))
            else {
                break;
            };
            named.remove(&smallest);
            other_size += n;
        }
        let team: HashMap<i64, String> = people
            .iter()
            .filter(|p| p.status != PersonStatus::Erased)
            .map(|p| {
                let t = team_of(p);
                let shown = if named.contains_key(&t) {
                    t
                } else {
                    OTHER_TEAMS.to_string()
                };
                (p.id, shown)
            })
            .collect();
        let by_account = accounts
            .iter()
            .filter_map(|a| Some((a.name.clone(), team.get(&a.person_id)?.clone())))
            .collect();
        Teams {
            by_account,
            named,
            other_size,
        }
    }

    /// The team an account's records count towards: "other teams" for an account nobody in
    /// the register holds.
    pub fn of_account(&self, account: Option<&str>) -> &str {
        account
            .and_then(|a| self.by_account.get(a))
            .map_or(OTHER_TEAMS, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_store::AccountStatus;

    fn person(id: i64, dept: &str) -> Person {
        Person {
            id,
            first_name: format!("P{id}"),
            last_name: "X".into(),
            department: Some(dept.into()),
            location: None,
            roles: vec![],
            line_manager: None,
            start_date: None,
            leaving_date: None,
            status: PersonStatus::Active,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn account(person_id: i64) -> Account {
        Account {
            id: person_id,
            person_id,
            system: "proxy".into(),
            name: format!("u{person_id}"),
            note: None,
            status: AccountStatus::Active,
            created_at: String::new(),
            disabled_at: None,
        }
    }

    fn register(depts: &[(&str, i64)]) -> (Vec<Person>, Vec<Account>) {
        let mut people = Vec::new();
        for (dept, n) in depts {
            for _ in 0..*n {
                people.push(person(people.len() as i64 + 1, dept));
            }
        }
        let accounts = people.iter().map(|p| account(p.id)).collect();
        (people, accounts)
    }

    #[test]
    fn a_team_of_four_is_merged_into_other_teams() {
        let (people, accounts) =
            register(&[("Sales", 6), ("Finance", 4), ("Legal", 2), ("Ops", 5)]);
        let teams = Teams::new(&people, &accounts);
        assert_eq!(teams.named.keys().collect::<Vec<_>>(), ["Ops", "Sales"]);
        assert_eq!(teams.other_size, 6);
        assert_eq!(teams.of_account(Some("u1")), "Sales");
        assert_eq!(teams.of_account(Some("u7")), OTHER_TEAMS, "Finance has 4");
        assert_eq!(teams.of_account(Some("u12")), OTHER_TEAMS, "Legal has 2");
        assert_eq!(teams.of_account(Some("nobody")), OTHER_TEAMS);
        assert_eq!(teams.of_account(None), OTHER_TEAMS);
    }

    #[test]
    fn a_team_of_five_is_shown_by_name() {
        let (people, accounts) = register(&[("Sales", 5), ("Ops", 5)]);
        let teams = Teams::new(&people, &accounts);
        assert_eq!(teams.named.len(), 2);
        assert_eq!(teams.other_size, 0);
    }

    #[test]
    fn a_pool_too_small_to_hide_anyone_takes_the_smallest_team() {
        // Two people in Legal alone would be singled out as "other teams".
        let (people, accounts) = register(&[("Sales", 9), ("Ops", 5), ("Legal", 2)]);
        let teams = Teams::new(&people, &accounts);
        assert_eq!(teams.named.keys().collect::<Vec<_>>(), ["Sales"]);
        assert_eq!(teams.other_size, 7);
        assert_eq!(
            teams.of_account(Some("u10")),
            OTHER_TEAMS,
            "Ops joined the pool"
        );
    }

    #[test]
    fn people_who_left_do_not_make_a_team_big_enough() {
        let (mut people, accounts) = register(&[("Sales", 5)]);
        people[0].status = PersonStatus::Left;
        let teams = Teams::new(&people, &accounts);
        assert!(teams.named.is_empty());
        assert_eq!(teams.of_account(Some("u2")), OTHER_TEAMS);
    }
}
