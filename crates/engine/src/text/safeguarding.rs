//! Safeguarding phrase lists for search queries (the DfE filtering and monitoring standard:
//! suicide and self-harm, extremism and radicalisation, abuse, weapons, drugs).
//!
//! Queries are folded first ([`fold_query`]): lowercased, punctuation made spaces,
//! apostrophes dropped (`don't` is `dont`), and leetspeak undone inside words that also have
//! letters (`k1ll` is `kill`, `$uicide` is `suicide`; `10` stays `10`). Phrases are matched
//! on word boundaries, leftmost-longest, so `Scunthorpe`, `kill the process`, `drug trial
//! results` and `how to shoot a photo` raise nothing. A few benign phrases sit in the table
//! with no list so that the longer, harmless reading wins (`suicide squad`).
//! Common misspellings are listed as phrases of their own.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use charter_policy::PhraseList;

use super::on_word_boundary;

/// A phrase from a safeguarding list found in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concern {
    /// The list it is on.
    pub list: PhraseList,
    /// The phrase as listed (folded: `kill myself` for `K1ll my-self`).
    pub phrase: &'static str,
}

/// At most this many bytes of folded text are checked.
pub const MAX_FOLDED_BYTES: usize = 1024;

use PhraseList::{Abuse, Drugs, Extremism, SelfHarm, Weapons};

/// Every phrase, folded; `None` marks a harmless phrase that outranks a shorter one inside it.
const PHRASES: &[(&str, Option<PhraseList>)] = &[
    // Suicide, self-harm, eating disorders.
    ("suicide", Some(SelfHarm)),
    ("suicidal", Some(SelfHarm)),
    ("suicde", Some(SelfHarm)),
    ("sucide", Some(SelfHarm)),
    ("suiside", Some(SelfHarm)),
    ("suicid", Some(SelfHarm)),
    ("sewerslide", Some(SelfHarm)),
    ("suicide squad", None),
    ("kill myself", Some(SelfHarm)),
    ("kill my self", Some(SelfHarm)),
    ("killmyself", Some(SelfHarm)),
    ("kil myself", Some(SelfHarm)),
    ("killing myself", Some(SelfHarm)),
    ("unalive myself", Some(SelfHarm)),
    ("want to die", Some(SelfHarm)),
    ("wanna die", Some(SelfHarm)),
    ("i want to be dead", Some(SelfHarm)),
    ("dont want to live", Some(SelfHarm)),
    ("dont want to be alive", Some(SelfHarm)),
    ("end my life", Some(SelfHarm)),
    ("ending my life", Some(SelfHarm)),
    ("take my own life", Some(SelfHarm)),
    ("painless death", Some(SelfHarm)),
    ("painless way to die", Some(SelfHarm)),
    ("hang myself", Some(SelfHarm)),
    ("how to hang yourself", Some(SelfHarm)),
    ("self harm", Some(SelfHarm)),
    ("selfharm", Some(SelfHarm)),
    ("self harming", Some(SelfHarm)),
    ("self harmed", Some(SelfHarm)),
    ("how to cut myself", Some(SelfHarm)),
    ("want to cut myself", Some(SelfHarm)),
    ("cutting myself", Some(SelfHarm)),
    ("how to hurt myself", Some(SelfHarm)),
    ("want to hurt myself", Some(SelfHarm)),
    ("how many paracetamol to die", Some(SelfHarm)),
    ("overdose on paracetamol", Some(SelfHarm)),
    ("lethal dose", Some(SelfHarm)),
    ("pro ana", Some(SelfHarm)),
    ("proana", Some(SelfHarm)),
    ("pro mia", Some(SelfHarm)),
    ("thinspiration", Some(SelfHarm)),
    ("thinspo", Some(SelfHarm)),
    ("how to starve myself", Some(SelfHarm)),
    ("how to make myself sick", Some(SelfHarm)),
    // Extremism and radicalisation.
    ("join isis", Some(Extremism)),
    ("join the islamic state", Some(Extremism)),
    ("how to join isis", Some(Extremism)),
    ("isis recruitment", Some(Extremism)),
    ("isis propaganda", Some(Extremism)),
    ("become a jihadi", Some(Extremism)),
    ("become a mujahid", Some(Extremism)),
    ("jihadi recruitment", Some(Extremism)),
    ("dabiq magazine", Some(Extremism)),
    ("rumiyah magazine", Some(Extremism)),
    ("anwar al awlaki lectures", Some(Extremism)),
    ("kill the kuffar", Some(Extremism)),
    ("kill all muslims", Some(Extremism)),
    ("kill all jews", Some(Extremism)),
    ("gas the jews", Some(Extremism)),
    ("holocaust hoax", Some(Extremism)),
    ("holocaust never happened", Some(Extremism)),
    ("heil hitler", Some(Extremism)),
    ("sieg heil", Some(Extremism)),
    ("white genocide", Some(Extremism)),
    ("great replacement theory", Some(Extremism)),
    ("race war now", Some(Extremism)),
    ("rahowa", Some(Extremism)),
    ("atomwaffen", Some(Extremism)),
    ("sonnenkrieg division", Some(Extremism)),
    ("feuerkrieg division", Some(Extremism)),
    ("national action", Some(Extremism)),
    ("national action plan", None),
    ("national action plans", None),
    ("siege culture", Some(Extremism)),
    ("turner diaries", Some(Extremism)),
    ("christchurch shooter manifesto", Some(Extremism)),
    ("tarrant manifesto", Some(Extremism)),
    ("beta uprising", Some(Extremism)),
    ("incel uprising", Some(Extremism)),
    // Abuse: child sexual abuse material, exploitation, disclosures, bullying.
    ("child porn", Some(Abuse)),
    ("childporn", Some(Abuse)),
    ("kiddie porn", Some(Abuse)),
    ("pthc", Some(Abuse)),
    ("preteen nudes", Some(Abuse)),
    ("underage nudes", Some(Abuse)),
    ("jailbait", Some(Abuse)),
    ("lolicon", Some(Abuse)),
    ("shotacon", Some(Abuse)),
    ("someone is blackmailing me", Some(Abuse)),
    ("sextortion", Some(Abuse)),
    ("he touches me", Some(Abuse)),
    ("my dad hits me", Some(Abuse)),
    ("my mum hits me", Some(Abuse)),
    ("my stepdad touches me", Some(Abuse)),
    ("being abused at home", Some(Abuse)),
    ("kill yourself", Some(Abuse)),
    // Weapons and explosives.
    ("how to make a bomb", Some(Weapons)),
    ("make a pipe bomb", Some(Weapons)),
    ("pipe bomb", Some(Weapons)),
    ("nail bomb", Some(Weapons)),
    ("homemade explosives", Some(Weapons)),
    ("how to make explosives", Some(Weapons)),
    ("how to make tatp", Some(Weapons)),
    ("molotov cocktail", Some(Weapons)),
    ("how to make a gun", Some(Weapons)),
    ("3d printed gun", Some(Weapons)),
    ("ghost gun", Some(Weapons)),
    ("buy a gun", Some(Weapons)),
    ("zombie knife", Some(Weapons)),
    ("how to stab someone", Some(Weapons)),
    ("shoot up my school", Some(Weapons)),
    ("shoot up the school", Some(Weapons)),
    ("school shooting", Some(Weapons)),
    ("knuckle duster", Some(Weapons)),
    // Drugs.
    ("buy weed", Some(Drugs)),
    ("buy cannabis", Some(Drugs)),
    ("buy cocaine", Some(Drugs)),
    ("buy mdma", Some(Drugs)),
    ("buy ecstasy", Some(Drugs)),
    ("buy ketamine", Some(Drugs)),
    ("buy xanax", Some(Drugs)),
    ("buy lsd", Some(Drugs)),
    ("buy drugs", Some(Drugs)),
    ("where to buy drugs", Some(Drugs)),
    ("how to make meth", Some(Drugs)),
    ("cook meth", Some(Drugs)),
    ("how to grow weed", Some(Drugs)),
    ("ways to get high", Some(Drugs)),
    ("dark web drugs", Some(Drugs)),
    ("darknet market", Some(Drugs)),
    ("nitrous oxide balloons", Some(Drugs)),
    ("monkey dust", Some(Drugs)),
    ("mephedrone", Some(Drugs)),
    ("spice k2", Some(Drugs)),
];

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| super::phrase_automaton(PHRASES.iter().map(|(p, _)| *p)))
}

/// Folds a query for the phrase lists (see the module notes), appending at most
/// [`MAX_FOLDED_BYTES`] to `out`.
pub fn fold_query(text: &str, out: &mut String) {
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let has_letter = word.chars().any(|c| c.is_alphabetic());
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        for c in word.chars() {
            let c = if has_letter { unleet(c) } else { c };
            if out.len() + c.len_utf8() > MAX_FOLDED_BYTES {
                break;
            }
            out.push(c);
        }
        word.clear();
    };
    for c in text.chars() {
        if out.len() >= MAX_FOLDED_BYTES {
            break;
        }
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '\u{2bc}' => {}
            '@' | '$' => word.push(c),
            c if c.is_alphanumeric() => word.extend(c.to_lowercase()),
            _ => flush(&mut word, out),
        }
    }
    flush(&mut word, out);
}

fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        c => c,
    }
}

/// The safeguarding phrases in `query` (raw: it is folded here), each list and phrase once,
/// in the order found.
pub fn search_concerns(query: &str) -> Vec<Concern> {
    let mut folded = String::with_capacity(query.len().min(MAX_FOLDED_BYTES));
    fold_query(query, &mut folded);
    let bytes = folded.as_bytes();
    let mut out: Vec<Concern> = Vec::new();
    for m in automaton().find_iter(&folded) {
        if !on_word_boundary(bytes, m.start(), m.end()) {
            continue;
        }
        let (phrase, list) = PHRASES[m.pattern().as_usize()];
        if let Some(list) = list {
            let concern = Concern { list, phrase };
            if !out.contains(&concern) {
                out.push(concern);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(query: &str) -> Vec<(PhraseList, &'static str)> {
        search_concerns(query)
            .into_iter()
            .map(|c| (c.list, c.phrase))
            .collect()
    }

    #[test]
    fn folding() {
        let mut out = String::new();
        fold_query("  K1ll  my-self!! don't $uicide 10 @home", &mut out);
        assert_eq!(out, "kill my self dont suicide 10 ahome");
    }

    #[test]
    fn each_list_fires() {
        assert_eq!(lists("how to kill myself"), [(SelfHarm, "kill myself")]);
        assert_eq!(lists("how to join ISIS"), [(Extremism, "how to join isis")]);
        assert_eq!(lists("where can i buy weed"), [(Drugs, "buy weed")]);
        assert_eq!(
            lists("how to make a pipe bomb"),
            [(Weapons, "make a pipe bomb")]
        );
        assert_eq!(
            lists("someone is blackmailing me"),
            [(Abuse, "someone is blackmailing me")]
        );
    }

    #[test]
    fn misspellings_and_leetspeak() {
        assert_eq!(lists("suicde methods"), [(SelfHarm, "suicde")]);
        assert_eq!(lists("k1ll myself"), [(SelfHarm, "kill myself")]);
        assert_eq!(lists("KILL-MY-SELF"), [(SelfHarm, "kill my self")]);
        assert_eq!(lists("su1c1de"), [(SelfHarm, "suicide")]);
        assert_eq!(lists("self-harm tips"), [(SelfHarm, "self harm")]);
        assert_eq!(
            lists("i don\u{2019}t want to live"),
            [(SelfHarm, "dont want to live")]
        );
    }

    #[test]
    fn ordinary_searches_raise_nothing() {
        for query in [
            "Scunthorpe United fixtures",
            "kill the process linux",
            "drug trial results",
            "how to shoot a photo in low light",
            "suicide squad cast",
            "national action plan for nature",
            "top 10 drugs of 2024 fda approvals",
            "skills myself",
            "buy weedkiller",
            "bombay mix recipe",
            "1488 calories",
            "i cut myself shaving",
            "hurt myself playing football",
            "buy coke zero",
            "how to get high grades",
            "great replacement windows",
            "buy a knife sharpener",
        ] {
            assert_eq!(lists(query), [], "{query}");
        }
    }

    #[test]
    fn each_concern_once_and_folding_is_bounded() {
        assert_eq!(
            lists("kill myself kill myself buy weed"),
            [(SelfHarm, "kill myself"), (Drugs, "buy weed")]
        );
        let long = "a ".repeat(10_000) + "kill myself";
        assert!(lists(&long).is_empty());
        let mut out = String::new();
        fold_query(&"\u{e9}".repeat(5000), &mut out);
        assert!(out.len() <= MAX_FOLDED_BYTES);
    }
}
