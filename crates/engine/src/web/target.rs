//! The host and path a request is for, normalised so that list lookups agree.

use std::fmt;

/// Hosts longer than this are not DNS names (RFC 1035 allows 253 characters).
const MAX_HOST_LEN: usize = 253;
/// URLs longer than this are refused; Squid's own limit is 8 KiB by default.
pub const MAX_URL_LEN: usize = 64 * 1024;

/// A normalised request target: lowercase host without port, userinfo or trailing dot, and
/// the path with its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    host: String,
    path: String,
}

/// Why a URL has no usable host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// No host at all.
    Empty,
    /// Longer than [`MAX_URL_LEN`] or a host longer than 253 characters.
    TooLong,
    /// A character no host name may contain.
    BadHost(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Empty => f.write_str("no host in URL"),
            TargetError::TooLong => f.write_str("URL or host too long"),
            TargetError::BadHost(host) => write!(f, "bad host `{host}`"),
        }
    }
}

impl std::error::Error for TargetError {}

impl Target {
    /// Parses an absolute URL (`http://user@Host.EXAMPLE.:8080/a?b`), an authority
    /// (`host:443`, as in CONNECT) or a bare host.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        if url.len() > MAX_URL_LEN {
            return Err(TargetError::TooLong);
        }
        let rest = url.trim();
        let rest = match rest.find("://") {
            Some(i)
                if rest[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
            {
                &rest[i + 3..]
            }
            _ => rest,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6
                .find(']')
                .ok_or_else(|| TargetError::BadHost(authority.to_string()))?;
            &v6[..close]
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
                _ => authority,
            }
        };
        let host = host.trim_end_matches('.').to_lowercase();
        if host.is_empty() {
            return Err(TargetError::Empty);
        }
        if host.len() > MAX_HOST_LEN {
            return Err(TargetError::TooLong);
        }
        if host
            .chars()
            .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "-._:".contains(c)))
        {
            return Err(TargetError::BadHost(host));
        }
        let path = path.split('#').next().unwrap_or_default();
        Ok(Target {
            host,
            path: if path.is_empty() {
                "/".to_string()
            } else {
                path.to_string()
            },
        })
    }

    /// The normalised host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path and query, starting with `/` (or `?`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The host and each parent domain, longest first: `a.b.example.com`, `b.example.com`,
    /// `example.com`, `com`. List entries match on these label boundaries only.
    pub fn host_suffixes(&self) -> impl Iterator<Item = &str> {
        let host = self.host.as_str();
        std::iter::once(host).chain(host.match_indices('.').map(move |(i, _)| &host[i + 1..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(url: &str) -> String {
        Target::parse(url).unwrap().host().to_string()
    }

    #[test]
    fn absolute_url() {
        let t = Target::parse("https://User:pw@WWW.Example.COM.:8443/a/b?c=d#frag").unwrap();
        assert_eq!(t.host(), "www.example.com");
        assert_eq!(t.path(), "/a/b?c=d");
    }

    #[test]
    fn connect_authority() {
        assert_eq!(host("bet365.com:443"), "bet365.com");
    }

    #[test]
    fn bare_host_gets_root_path() {
        assert_eq!(Target::parse("example.org").unwrap().path(), "/");
    }

    #[test]
    fn ipv6_literal() {
        assert_eq!(host("http://[2001:DB8::1]:8080/"), "2001:db8::1");
    }

    #[test]
    fn empty_host_is_an_error() {
        assert_eq!(Target::parse("http:///x"), Err(TargetError::Empty));
    }

    #[test]
    fn bad_characters_are_an_error() {
        assert!(matches!(
            Target::parse("http://ex ample.com/"),
            Err(TargetError::BadHost(_))
        ));
    }

    #[test]
    fn suffixes_stop_at_labels() {
        let t = Target::parse("a.b.example.com").unwrap();
        let s: Vec<&str> = t.host_suffixes().collect();
        assert_eq!(
            s,
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
    }
}
