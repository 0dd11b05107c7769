//! Host names and host patterns, in the one normal form used both for the policy and for the
//! host being verified, so that no spelling of a pinned host escapes its pins.
//!
//! The normal form: IDNA (UTS #46) mapping to lower-case A-labels (so `API.Example.COM`,
//! `api.example.com.` and `api。example。com` are one name), one trailing dot removed, and IP
//! literals in canonical form (`[::1]` and `0:0::1` are `::1`; an IPv4-mapped IPv6 address is
//! its IPv4 address). Names that a URL parser would read as an IPv4 address in another spelling
//! (`0x7f.1`, `127.1`) are refused rather than treated as DNS names.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use rustls_pki_types::{DnsName, ServerName};

use crate::result::PinError;

/// A host in normal form: a DNS name (lower-case A-labels, no trailing dot) or an IP address.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostName {
    /// A DNS name such as `api.example.com`.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl HostName {
    /// Normalises a host as an app would spell it: a DNS name (Unicode or A-labels, any case,
    /// an optional trailing dot) or an IP literal (IPv6 optionally in brackets).
    pub fn parse(text: &str) -> Result<Self, PinError> {
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return inner
                .parse::<Ipv6Addr>()
                .map(|ip| Self::from_ip(IpAddr::V6(ip)))
                .map_err(|_| PinError::BadHost);
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self::from_ip(ip));
        }
        if is_plain_ascii_name(text) {
            // UTS #46 maps these characters to themselves (letters to lower case), so the
            // mapping can be skipped; the checks below are the same for both paths.
            let mut lower = text.to_ascii_lowercase();
            if lower.ends_with('.') {
                lower.pop();
            }
            return Self::checked_dns(lower);
        }
        let ascii = Uts46::new()
            .to_ascii(
                text.as_bytes(),
                AsciiDenyList::URL,
                Hyphens::Allow,
                DnsLength::VerifyAllowRootDot,
            )
            .map_err(|_| PinError::BadHost)?;
        let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
        Self::checked_dns(ascii.to_owned())
    }

    /// A name in A-label form, checked: an IP address (full-width digits and dots map to
    /// ASCII ones, so a mapped name may be one), or a valid DNS name within DNS lengths.
    fn checked_dns(name: String) -> Result<Self, PinError> {
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(Self::from_ip(ip));
        }
        if !labels_fit(&name)
            || ends_in_a_number(&name)
            || DnsName::try_from(name.as_str()).is_err()
        {
            return Err(PinError::BadHost);
        }
        Ok(Self::Dns(name))
    }

    fn from_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::Ip(IpAddr::V4(v4)),
                None => Self::Ip(ip),
            },
            IpAddr::V4(_) => Self::Ip(ip),
        }
    }

    /// The name as rustls-webpki checks it against a certificate.
    pub fn server_name(&self) -> ServerName<'_> {
        match self {
            // Normal form is a valid DnsName by construction; the fallback is never taken and
            // would only make the certificate check fail, never pass.
            Self::Dns(name) => DnsName::try_from(name.as_str())
                .map(ServerName::DnsName)
                .unwrap_or_else(|_| ServerName::IpAddress(IpAddr::from([0, 0, 0, 0]).into())),
            Self::Ip(ip) => ServerName::IpAddress((*ip).into()),
        }
    }

    /// The DNS name, or `None` for an IP address.
    pub fn dns(&self) -> Option<&str> {
        match self {
            Self::Dns(name) => Some(name),
            Self::Ip(_) => None,
        }
    }
}

/// Letters, digits, hyphens and dots only, and no `xn--` label (an A-label must be checked by
/// IDNA): a name that UTS #46 would only lower-case.
fn is_plain_ascii_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut label_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            label_start = i + 1;
        } else if !(b.is_ascii_alphanumeric() || b == b'-')
            || (i == label_start + 3 && bytes[label_start..=i].eq_ignore_ascii_case(b"xn--"))
        {
            return false;
        }
    }
    true
}

/// Within DNS lengths: at most 253 bytes, every label 1 to 63 bytes.
fn labels_fit(name: &str) -> bool {
    name.len() <= 253 && labels(name).all(|label| !label.is_empty() && label.len() <= 63)
}

/// The labels of a name, split at each dot (bytes: a search for one byte, not a `char`).
fn labels(name: &str) -> std::slice::Split<'_, u8, impl FnMut(&u8) -> bool> {
    name.as_bytes().split(|&b| b == b'.')
}

/// The WHATWG URL rule: a host whose last label is a number (decimal, or hex with `0x`) is an
/// IPv4 address in some spelling, never a DNS name.
fn ends_in_a_number(name: &str) -> bool {
    let last = labels(name).next_back().unwrap_or_default();
    match last.strip_prefix(b"0x") {
        Some(digits) => digits.iter().all(u8::is_ascii_hexdigit),
        None => !last.is_empty() && last.iter().all(u8::is_ascii_digit),
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl fmt::Debug for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which names a pattern covers. The wildcard forms hold the DNS name below the wildcard.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostPattern {
    /// `api.example.com` or an IP address: that host only.
    Exact(HostName),
    /// `*.example.com`: names with exactly one more label (`a.example.com`, not
    /// `example.com`, not `a.b.example.com`).
    OneLabel(String),
    /// `**.example.com`: `example.com` itself and every name below it, at any depth.
    AnyDepth(String),
}

impl HostPattern {
    /// Parses `host`, `*.name` or `**.name`, normalising the name as [`HostName::parse`] does.
    /// Wildcards stand only as a whole first label and only above a DNS name.
    ///
    /// A pattern spelled with an IDNA deviation character is refused (see [`ambiguous_idna`]).
    pub fn parse(text: &str) -> Result<Self, PinError> {
        if text.contains(DEVIATIONS) {
            return Err(PinError::BadHost);
        }
        let (make, rest): (fn(String) -> Self, &str) = if let Some(rest) = text.strip_prefix("**.")
        {
            (Self::AnyDepth, rest)
        } else if let Some(rest) = text.strip_prefix("*.") {
            (Self::OneLabel, rest)
        } else {
            return HostName::parse(text).map(Self::Exact);
        };
        match HostName::parse(rest)? {
            HostName::Dns(base) => Ok(make(base)),
            HostName::Ip(_) => Err(PinError::BadHost),
        }
    }

    /// Whether this pattern covers `host` (precedence between patterns is the policy's job).
    pub fn matches(&self, host: &HostName) -> bool {
        match (self, host.dns()) {
            (Self::Exact(name), _) => name == host,
            (Self::OneLabel(base), Some(name)) => parent(name) == Some(base.as_str()),
            (Self::AnyDepth(base), Some(name)) => {
                name == base || name.strip_suffix(base.as_str()).is_some_and(|p| p.ends_with('.'))
            }
            (_, None) => false,
        }
    }
}

/// The IDNA deviation characters: ß, final sigma, ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER.
/// UTS #46 non-transitional processing (certpin's, IDNA2008, browsers) keeps them; IDNA2003 and
/// transitional processing (`java.net.IDN`, older libidn, some platform resolvers) map them to
/// `ss`, `σ` and nothing. A name spelled with one is two hosts, depending on the app's stack.
const DEVIATIONS: [char; 4] = ['\u{df}', '\u{3c2}', '\u{200c}', '\u{200d}'];

/// Why a host pattern spelled with an IDNA deviation character is refused, naming both of its
/// A-label forms; `None` when it has none. Such a pattern pins one of two hosts depending on
/// how the app's stack maps names, and the other would go unpinned: the pattern must be given
/// in A-label form (`xn--...`), or the plain form the app's stack uses, or both.
pub fn ambiguous_idna(pattern: &str) -> Option<String> {
    if !pattern.contains(DEVIATIONS) {
        return None;
    }
    let (wildcard, name) = match pattern.strip_prefix("**.") {
        Some(rest) => ("**.", rest),
        None => pattern.strip_prefix("*.").map_or(("", pattern), |rest| ("*.", rest)),
    };
    let form = |name: &str| match HostName::parse(name) {
        Ok(host) => format!("{wildcard}{host}"),
        Err(_) => "(not a valid name)".to_owned(),
    };
    let transitional: String = name
        .chars()
        .flat_map(|c| match c {
            '\u{df}' => "ss".chars().collect::<Vec<_>>(),
            '\u{3c2}' => vec!['\u{3c3}'],
            '\u{200c}' | '\u{200d}' => vec![],
            c => vec![c],
        })
        .collect();
    Some(format!(
        "ambiguous IDNA name: {} in UTS #46 non-transitional form (IDNA2008, browsers), {} in \
         transitional form (IDNA2003, java.net.IDN); write the pattern you mean in A-label \
         form, or pin both",
        form(name),
        form(&transitional)
    ))
}

/// The name without its first label: `example.com` for `api.example.com`, `None` for `com`.
pub fn parent(name: &str) -> Option<&str> {
    name.split_once('.').map(|(_, rest)| rest)
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(host) => write!(f, "{host}"),
            Self::OneLabel(base) => write!(f, "*.{base}"),
            Self::AnyDepth(base) => write!(f, "**.{base}"),
        }
    }
}

impl fmt::Debug for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        HostName::parse(text).unwrap().to_string()
    }

    #[test]
    fn patterns_with_deviation_characters_are_refused_naming_both_forms() {
        for (pattern, nontransitional, transitional) in [
            ("faß.de", "xn--fa-hia.de", "fass.de"),
            ("*.faß.de", "*.xn--fa-hia.de", "*.fass.de"),
            ("**.ς.example", "**.xn--3xa.example", "**.xn--4xa.example"),
        ] {
            assert_eq!(HostPattern::parse(pattern), Err(PinError::BadHost), "{pattern}");
            let why = ambiguous_idna(pattern).expect("ambiguous");
            assert!(why.contains(nontransitional) && why.contains(transitional), "{why}");
        }
        for joiner in ["a\u{200d}b.example", "a\u{200c}b.example"] {
            assert_eq!(HostPattern::parse(joiner), Err(PinError::BadHost), "{joiner:?}");
            assert!(ambiguous_idna(joiner).unwrap().contains("ab.example"), "{joiner:?}");
        }
        // Either A-label form, or the plain form, is taken as written; hosts being verified
        // are not patterns and keep their UTS #46 form.
        for pattern in ["xn--fa-hia.de", "fass.de", "*.xn--fa-hia.de"] {
            assert!(HostPattern::parse(pattern).is_ok(), "{pattern}");
            assert_eq!(ambiguous_idna(pattern), None);
        }
        assert_eq!(HostName::parse("faß.de").unwrap().to_string(), "xn--fa-hia.de");
    }

    #[test]
    fn every_spelling_of_a_name_is_one_name() {
        for spelling in [
            "api.example.com",
            "API.Example.COM",
            "api.example.com.",
            "api\u{3002}example\u{3002}com",
            "\u{ff41}\u{ff50}\u{ff49}.example.com",
        ] {
            assert_eq!(norm(spelling), "api.example.com", "{spelling:?}");
        }
        assert_eq!(norm("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(norm("BÜCHER.example."), "xn--bcher-kva.example");
        assert_eq!(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
    }

    #[test]
    fn ip_literals_are_canonical() {
        assert_eq!(norm("127.0.0.1"), "127.0.0.1");
        assert_eq!(norm("[::1]"), "::1");
        assert_eq!(norm("0:0:0:0:0:0:0:1"), "::1");
        assert_eq!(norm("2001:DB8::0:1"), "2001:db8::1");
        assert_eq!(norm("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(norm("[::ffff:c000:201]"), "192.0.2.1");
        assert_eq!(norm("\u{ff11}\u{ff12}\u{ff17}.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn malformed_hosts_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "a..b",
            "example.com..",
            "exa mple.com",
            "a/b",
            "user@host",
            "host:443",
            "[127.0.0.1]",
            "[::1",
            "0x7f.1",
            "127.1",
            "1.2.3.4.5",
            "example.123",
            "-",
            "\u{0}",
            "*.example.com",
            "a.*.example.com",
            "ex%41mple.com",
        ] {
            assert_eq!(HostName::parse(bad), Err(PinError::BadHost), "{bad:?}");
        }
        let long_label = "a".repeat(64) + ".com";
        assert_eq!(HostName::parse(&long_label), Err(PinError::BadHost));
        let long_name = "a.".repeat(127) + "com";
        assert_eq!(HostName::parse(&long_name), Err(PinError::BadHost));
    }

    #[test]
    fn pattern_boundaries() {
        let one = HostPattern::parse("*.Example.com.").unwrap();
        let any = HostPattern::parse("**.example.com").unwrap();
        let host = |t: &str| HostName::parse(t).unwrap();
        assert!(one.matches(&host("a.example.com")));
        assert!(!one.matches(&host("example.com")));
        assert!(!one.matches(&host("a.b.example.com")));
        assert!(!one.matches(&host("aexample.com")));
        assert!(any.matches(&host("example.com")));
        assert!(any.matches(&host("a.b.c.example.com")));
        assert!(!any.matches(&host("badexample.com")));
        assert!(!any.matches(&host("example.com.evil.net")));
        let exact = HostPattern::parse("API.example.com.").unwrap();
        assert!(exact.matches(&host("api.example.com")));
        assert!(!exact.matches(&host("www.example.com")));
        assert!(!one.matches(&host("2001:db8::1")) && !any.matches(&host("192.0.2.1")));
        for bad in [
            "*",
            "**",
            "*.",
            "***.example.com",
            "*example.com",
            "a*.example.com",
            "*.*.example.com",
            "*.127.0.0.1",
            "**.[::1]",
        ] {
            assert_eq!(HostPattern::parse(bad), Err(PinError::BadHost), "{bad:?}");
        }
    }
}
