//! Warn and hold pages (DESIGN section 7): the passes in force, shared by the gateways, and
//! the signed token that tells the pages who was stopped where.
//!
//! The gateway that refused a request knows the person; the page does not, and must not
//! believe a name in a URL. So the gateway binds (page, user, site, rule, expiry) into a
//! token with an HMAC-SHA256 under a key only Charter's processes can read (`serve` creates
//! it, mode 0600), and the pages act only on a token whose MAC checks, compared in constant
//! time, and that has not expired.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, RwLock};

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use charter_engine::Pass;
use charter_proto::hex;

/// The passes in force, by user name (proxy login). Clones share one table, replaced whole
/// by a fresh read of the store, or added to at once when the pages record a pass.
#[derive(Debug, Clone, Default)]
pub struct Passes(Arc<RwLock<Arc<PassTable>>>);

type PassTable = HashMap<String, Vec<Pass>>;

impl Passes {
    /// The passes of `user`; none for an unknown or absent user.
    pub fn of(&self, user: Option<&str>) -> Vec<Pass> {
        let Some(user) = user else {
            return Vec::new();
        };
        let table = self.0.read().unwrap_or_else(|e| e.into_inner());
        if table.is_empty() {
            return Vec::new();
        }
        table.get(user).cloned().unwrap_or_default()
    }

    /// Replaces the whole table, for every clone.
    pub fn replace(&self, table: HashMap<String, Vec<Pass>>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
    }

    /// Adds `pass` for `user` at once (the next read of the store brings it too).
    pub fn add(&self, user: &str, pass: Pass) {
        let mut table = self.0.write().unwrap_or_else(|e| e.into_inner());
        Arc::make_mut(&mut table)
            .entry(user.to_string())
            .or_default()
            .push(pass);
    }

    /// How many users have passes.
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nobody has a pass.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The key the tokens are signed with, ready to MAC.
#[derive(Clone)]
pub struct PageKey(Hmac<Sha256>);

const KEY_LEN: usize = 32;

impl std::fmt::Debug for PageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageKey(..)")
    }
}

impl PageKey {
    /// Reads the key at `path`, or creates it (32 random bytes, mode 0600, never replacing
    /// a file another process created at the same moment).
    pub fn load_or_create(path: &Path) -> std::io::Result<PageKey> {
        match PageKey::load(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => return other,
        }
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
        let created = {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
        };
        match created {
            Ok(mut file) => {
                file.write_all(&key)?;
                file.sync_all()?;
                PageKey::from_bytes(&key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => PageKey::load(path),
            Err(e) => Err(e),
        }
    }

    /// Reads the key at `path`.
    pub fn load(path: &Path) -> std::io::Result<PageKey> {
        let bytes = std::fs::read(path)?;
        PageKey::from_bytes(&bytes)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> std::io::Result<PageKey> {
        let bad = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the page key must be {KEY_LEN} bytes"),
            )
        };
        if bytes.len() != KEY_LEN {
            return Err(bad());
        }
        Hmac::<Sha256>::new_from_slice(bytes)
            .map(PageKey)
            .map_err(|_| bad())
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.0.clone()
    }
}

/// Which page a refused person is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A warning with Continue.
    Warn,
    /// A hold with "Ask for access".
    Hold,
}

impl PageKind {
    /// `warn` or `hold`.
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Warn => "warn",
            PageKind::Hold => "hold",
        }
    }
}

/// Who was stopped, where, by what, signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// The page.
    pub kind: PageKind,
    /// The user as the gateway knew them.
    pub user: String,
    /// The site (registrable host).
    pub site: String,
    /// The rule's id.
    pub rule: String,
    /// When the token stops being good, in seconds since the epoch.
    pub expires: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token: wrong shape, too long, bad hex.
    Malformed,
    /// The MAC does not check: forged or altered, or signed with another key.
    Forged,
    /// Good once, no longer.
    Expired,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "the link is not one Charter made",
            TokenError::Forged => "the link's signature does not check",
            TokenError::Expired => "the link has expired: go back to the site to get a new one",
        })
    }
}

impl std::error::Error for TokenError {}

/// The longest token accepted.
const MAX_TOKEN: usize = 4096;

impl PageToken {
    /// The token as text safe in a URL and a Squid `message=`: hex of the fields, a dot,
    /// hex of their MAC. `None` when a field holds a control character.
    pub fn sign(&self, key: &PageKey) -> Option<String> {
        let fields = [self.user.as_str(), self.site.as_str(), self.rule.as_str()];
        if fields.iter().any(|f| f.chars().any(char::is_control)) {
            return None;
        }
        let payload = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.kind.as_str(),
            self.user,
            self.site,
            self.rule,
            self.expires
        );
        let mut mac = key.mac();
        mac.update(payload.as_bytes());
        let sig = mac.finalize().into_bytes();
        Some(format!(
            "{}.{}",
            hex::encode(payload.as_bytes()),
            hex::encode(&sig)
        ))
    }

    /// The token in `text`, if its MAC checks under `key` (compared in constant time) and it
    /// has not expired at `now`.
    pub fn verify(text: &str, key: &PageKey, now: Timestamp) -> Result<PageToken, TokenError> {
        if text.len() > MAX_TOKEN {
            return Err(TokenError::Malformed);
        }
        let (payload, sig) = text.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = hex::decode(payload).ok_or(TokenError::Malformed)?;
        let sig = hex::decode(sig).ok_or(TokenError::Malformed)?;
        let mut mac = key.mac();
        mac.update(&payload);
        mac.verify_slice(&sig).map_err(|_| TokenError::Forged)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let mut parts = payload.split('\n');
        let mut next = || parts.next().ok_or(TokenError::Malformed);
        let kind = match next()? {
            "warn" => PageKind::Warn,
            "hold" => PageKind::Hold,
            _ => return Err(TokenError::Malformed),
        };
        let (user, site, rule) = (
            next()?.to_string(),
            next()?.to_string(),
            next()?.to_string(),
        );
        let expires: i64 = next()?.parse().map_err(|_| TokenError::Malformed)?;
        if expires <= now.as_second() {
            return Err(TokenError::Expired);
        }
        Ok(PageToken {
            kind,
            user,
            site,
            rule,
            expires,
        })
    }
}

/// What the gateways need to send people to the pages: the key, where the pages are, and
/// how long a link stays good.
#[derive(Debug, Clone)]
pub struct Pages {
    key: PageKey,
    public_url: String,
    lifetime_secs: i64,
}

/// How long a page link stays good.
pub const LINK_LIFETIME_SECS: i64 = 3600;

impl Pages {
    /// Pages at `public_url` (such as `http://charter.example.org:8088`) signed with `key`.
    pub fn new(key: PageKey, public_url: &str) -> Pages {
        Pages {
            key,
            public_url: public_url.trim_end_matches('/').to_string(),
            lifetime_secs: LINK_LIFETIME_SECS,
        }
    }

    /// The key.
    pub fn key(&self) -> &PageKey {
        &self.key
    }

    /// Where the pages are, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A signed token sending `user`, stopped by `rule` on `site` at `at`, to the `kind` page.
    pub fn token(
        &self,
        kind: PageKind,
        user: &str,
        site: &str,
        rule: &str,
        at: Timestamp,
    ) -> Option<String> {
        PageToken {
            kind,
            user: user.to_string(),
            site: site.to_string(),
            rule: rule.to_string(),
            expires: at.as_second().saturating_add(self.lifetime_secs),
        }
        .sign(&self.key)
    }

    /// The page's address for `token`, with the address the person was going to.
    pub fn link(&self, token: &str, url: &str) -> String {
        format!(
            "{}/page?t={token}&url={}",
            self.public_url,
            crate::squid_helper::url_encode(url)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PageKey {
        PageKey::from_bytes(&[byte; KEY_LEN]).unwrap_or_else(|_| unreachable_key())
    }

    fn unreachable_key() -> PageKey {
        PageKey(Hmac::<Sha256>::new_from_slice(b"x").expect("HMAC takes any key"))
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn token() -> PageToken {
        PageToken {
            kind: PageKind::Hold,
            user: "ann".into(),
            site: "roblox.com".into(),
            rule: "games.hold".into(),
            expires: 2_000,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let signed = token().sign(&key(1)).unwrap_or_default();
        assert!(signed.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.'));
        assert_eq!(PageToken::verify(&signed, &key(1), at(1_999)), Ok(token()));
        assert_eq!(
            PageToken::verify(&signed, &key(1), at(2_000)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_forged_or_altered_token_is_refused() {
        let signed = token().sign(&key(1)).unwrap_or_default();
        assert_eq!(
            PageToken::verify(&signed, &key(2), at(0)),
            Err(TokenError::Forged)
        );
        let mut other = token();
        other.user = "cora".into();
        let (forged_payload, _) = other
            .sign(&key(2))
            .unwrap_or_default()
            .split_once('.')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or_default();
        let (_, sig) = signed.split_once('.').unwrap_or_default();
        assert_eq!(
            PageToken::verify(&format!("{forged_payload}.{sig}"), &key(1), at(0)),
            Err(TokenError::Forged)
        );
        for bad in ["", "zz.00", "abc", "00.0"] {
            assert_eq!(
                PageToken::verify(bad, &key(1), at(0)),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_name_with_a_control_character_gets_no_token() {
        let mut t = token();
        t.user = "ann\nhold".into();
        assert_eq!(t.sign(&key(1)), None);
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("charter-page-key-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("page.key");
        let _ = std::fs::remove_file(&path);
        assert!(PageKey::load_or_create(&path).is_ok());
        let first = std::fs::read(&path).unwrap_or_default();
        assert!(PageKey::load_or_create(&path).is_ok());
        assert_eq!(std::fs::read(&path).unwrap_or_default(), first);
        assert_eq!(first.len(), KEY_LEN);
        assert_ne!(first, [0u8; KEY_LEN]);
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn passes_are_shared_by_clones() {
        let live = Passes::default();
        let gateway = live.clone();
        let pass = Pass {
            site: "amazon.co.uk".into(),
            rule: "shopping.warn".into(),
            kind: charter_engine::PassKind::Continued,
            until: at(100),
        };
        live.add("ann", pass.clone());
        assert_eq!(gateway.of(Some("ann")), [pass]);
        assert!(gateway.of(Some("ben")).is_empty());
        live.replace(HashMap::new());
        assert!(gateway.of(Some("ann")).is_empty());
    }
}
