//! Masking credentials wherever a URL is shown or stored: error messages, logs, reports, the
//! history and alert state. The one implementation every crate uses.
//!
//! A URL keeps what says where it points (scheme, user name, host, port, path) and loses what
//! grants access: the password of its user info, and the value of every query or fragment
//! parameter whose name says it may carry a credential (`X-Amz-Signature`, `X-Amz-Credential`,
//! `X-Amz-Security-Token`, `token`, `sig`, `signature`, `key`, `password`, `secret`, …).
//!
//! ```
//! use contrakt_core::redact::redact_url;
//! assert_eq!(
//!     redact_url("https://u:pw@h/x.parquet?X-Amz-Signature=abc&v=1"),
//!     "https://u:***@h/x.parquet?X-Amz-Signature=***&v=1"
//! );
//! ```

/// What a masked value is replaced by.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for in free text by [`redact_text`]: masking
/// every `a` of a message would hide the message and protect nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// `url` with the password of its user info and the value of every credential-carrying query
/// (or fragment) parameter replaced by `***`. Anything else is kept, so the message still says
/// which URL it is about. Idempotent.
pub fn redact_url(url: &str) -> String {
    let (start, end) = authority(url);
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..start]);
    match url[start..end].rsplit_once('@') {
        Some((user, host)) => {
            match user.split_once(':') {
                Some((name, _)) => {
                    out.push_str(name);
                    out.push(':');
                    out.push_str(MASK);
                }
                None => out.push_str(user),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(&url[start..end]),
    }
    let rest = &url[end..];
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    out.push_str(&rest[..path_end]);
    let mut rest = &rest[path_end..];
    // `?query` then `#fragment`, each as `&`-separated parameters.
    while let Some(sep) = rest.chars().next() {
        let body = &rest[1..];
        let stop = if sep == '?' { body.find('#') } else { None }.unwrap_or(body.len());
        out.push(sep);
        out.push_str(&mask_params(&body[..stop]));
        rest = &body[stop..];
    }
    out
}

/// Where the authority (`user:password@host:port`) of `url` starts and ends.
fn authority(url: &str) -> (usize, usize) {
    let start = url.find("://").map_or(0, |i| i + 3);
    // The part that may hold user info ends where the query or fragment starts.
    let before_query = url[start..].find(['?', '#']).map_or(url.len(), |i| start + i);
    let mut end = url[start..before_query].find(['/', '\\']).map_or(before_query, |i| start + i);
    // `user:pa/ss@host`: a password with an unescaped `/` is not a URL, but must not be shown
    // either. Where the authority has no `@` yet `:` is followed by something other than a
    // port, the user info runs to the last `@` before the query.
    if !url[start..end].contains('@')
        && let Some((_, after)) = url[start..end].split_once(':')
        && !after.bytes().all(|b| b.is_ascii_digit())
        && let Some(at) = url[end..before_query].rfind('@')
    {
        let host = end + at;
        end = url[host..before_query].find(['/', '\\']).map_or(before_query, |i| host + i);
    }
    (start, end)
}

/// `a=1&token=x` → `a=1&token=***`.
fn mask_params(params: &str) -> String {
    params
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if secret_parameter(k) => format!("{k}={MASK}"),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A query parameter that may carry a credential: a password, or the key, token or signature
/// of a signed object-store URL (`X-Amz-Credential`, `X-Amz-Signature`, Azure's `sig`, …).
pub fn secret_parameter(key: &str) -> bool {
    let k = percent_decode(key).to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "signature", "sig", "credential", "key", "auth", "session", "jwt"]
        .iter()
        .any(|s| k.contains(s))
}

/// A local path as given; a URL (`s3://…`, `https://…`, `postgres://…`) through
/// [`redact_url`].
pub fn redact_location(location: &str) -> String {
    if location.contains("://") { redact_url(location) } else { location.to_string() }
}

/// `text` (an error message, a receiver's answer, a log line) with every URL in it through
/// [`redact_url`], and every occurrence of each of `secrets` (values known to be secret: a
/// webhook URL, a routing key, the credentials of a data URL from [`url_secrets`]) replaced by
/// `***`. Secrets shorter than [`MIN_SECRET_LEN`] are not searched for. Idempotent.
pub fn redact_text(text: &str, secrets: &[&str]) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= MIN_SECRET_LEN).collect();
    // Longest first: a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s) {
            out = out.replace(s, MASK);
        }
    }
    redact_urls_in(&out)
}

/// Every `scheme://…` run in `text` through [`redact_url`].
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // Back over the scheme: letters, digits, `+`, `-`, `.`.
        let scheme_start = rest[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(i, |(j, _)| j);
        let after = i + 3;
        let len = rest[after..].find(|c: char| c.is_whitespace() || "\"'<>`()[]{}|^".contains(c));
        let mut end = len.map_or(rest.len(), |l| after + l);
        // A sentence's punctuation after the URL is not part of it.
        while end > after && rest[..end].ends_with(['.', ',', ';', ':', '!']) {
            end -= 1;
        }
        out.push_str(&rest[..scheme_start]);
        if scheme_start == i {
            // `://` with no scheme before it: not a URL, but what follows may still be one.
            out.push_str("://");
            rest = &rest[after..];
            continue;
        }
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The credentials a URL carries: its password and the values of its credential parameters,
/// as written and percent-decoded. Messages that quote the URL in another form (re-encoded by
/// a library, the signature alone) are masked with them through [`redact_text`].
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        for v in [v.to_string(), percent_decode(v)] {
            if !v.is_empty() && v != MASK && !out.contains(&v) {
                out.push(v);
            }
        }
    };
    let (start, end) = authority(url);
    if let Some((user, _)) = url[start..end].rsplit_once('@')
        && let Some((_, password)) = user.split_once(':')
    {
        add(password);
    }
    if let Some(i) = url[end..].find(['?', '#']) {
        for kv in url[end + i + 1..].split(['&', '#', '?']) {
            if let Some((k, v)) = kv.split_once('=')
                && secret_parameter(k)
            {
                add(v);
            }
        }
    }
    out
}

/// Whether `url` carries a password of its own: in its user info (`user:pw@host`) or as a
/// `password` parameter (libpq's `?password=`). A server named by a file someone else may
/// write gets this job's password (from its environment) only when allowed; a password the URL
/// carries is the writer's own, and goes where the writer said.
pub fn has_password(url: &str) -> bool {
    let (start, end) = authority(url);
    let in_user_info = url[start..end].rsplit_once('@').is_some_and(|(user, _)| user.contains(':'));
    let param = |kv: &str| kv.split_once('=').is_some_and(|(k, _)| percent_decode(k).eq_ignore_ascii_case("password"));
    in_user_info || url[end..].find(['?', '#']).is_some_and(|i| url[end + i + 1..].split(['&', '#', '?']).any(param))
}

/// `%41` → `A`; invalid escapes and non-UTF-8 results are kept as written.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') && !s.contains('+') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `text` cut to at most `max` bytes (at a character boundary), with `…` where it was cut:
/// what is kept of a receiver's answer. Mask before cutting, so no half secret survives.
pub fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls() {
        let cases = [
            ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db?sslmode=disable&password=pw", "postgres://u@h/db?sslmode=disable&password=***"),
            ("postgres://h", "postgres://h"),
            ("postgres://u:p@w@h/db", "postgres://u:***@h/db"),
            (
                "https://127.0.0.1:1/x.parquet?X-Amz-Signature=SECRETSIG&token=SECRETTOK",
                "https://127.0.0.1:1/x.parquet?X-Amz-Signature=***&token=***",
            ),
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=T&X-Amz-Date=1",
                "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Security-Token=***&X-Amz-Date=1",
            ),
            (
                "https://a.blob.core.windows.net/c/x?sv=2024&sig=abc%3D",
                "https://a.blob.core.windows.net/c/x?sv=2024&sig=***",
            ),
            ("https://user:SECRETPW@127.0.0.1:1/x.parquet", "https://user:***@127.0.0.1:1/x.parquet"),
            ("https://user:pa/ss@host/x", "https://user:***@host/x"),
            ("https://host:8080/users/a@b/x", "https://host:8080/users/a@b/x"),
            ("https://h/cb#access_token=abc&state=1", "https://h/cb#access_token=***&state=1"),
            ("s3://bucket/orders/", "s3://bucket/orders/"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
            assert_eq!(redact_url(shown), shown, "idempotent: {url}");
        }
        assert_eq!(redact_location("data/o?token=1.csv"), "data/o?token=1.csv");
    }

    #[test]
    fn text() {
        let said =
            "error sending request for url (https://u:pw1234@h/x?sig=abc&a=1): refused. See https://h/y?token=t.";
        assert_eq!(
            redact_text(said, &[]),
            "error sending request for url (https://u:***@h/x?sig=***&a=1): refused. See https://h/y?token=***."
        );
        assert_eq!(redact_text("GET /x%3Fsig%3DSECRETSIG failed", &["SECRETSIG"]), "GET /x%3Fsig%3D*** failed");
        assert_eq!(redact_text("key abc and abcd", &["abc", "abcd"]), "key abc and ***");
        assert_eq!(redact_text("://x?token=1 and ftp://", &[]), "://x?token=1 and ftp://");
    }

    #[test]
    fn secrets_of_a_url() {
        let s = url_secrets("https://u:p%40ss@h/x?X-Amz-Signature=s1&a=1&token=t%2B1");
        assert_eq!(s, ["p%40ss", "p@ss", "s1", "t%2B1", "t+1"]);
        assert!(url_secrets("s3://bucket/x").is_empty());
    }

    #[test]
    fn a_password_of_the_url_itself() {
        assert!(has_password("postgres://u:pw@h:5432/db"));
        assert!(has_password("postgres://u@h/db?sslmode=require&password=pw"));
        assert!(has_password("postgres://u@h/db?Pass%77ord=pw"));
        assert!(has_password("postgres://u:pa/ss@h/db"), "a password with a slash is still one");
        assert!(!has_password("postgres://u@h:5432/db"));
        assert!(!has_password("postgres://h/db?sslkey=/k&user=u"), "a credential that is not a password");
        assert!(!has_password("postgres://u@h/my:db"), "a colon after the host is not user info");
    }

    #[test]
    fn bounds() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcdéf", 6), "abc…");
        assert!(bounded(&"x".repeat(2000), 512).len() <= 512);
    }

    fn value() -> impl Strategy<Value = String> {
        "[A-Za-z0-9%+._~-]{4,24}".prop_filter("not a mask", |v| !v.contains("***"))
    }

    proptest! {
        #[test]
        fn never_leaks_a_credential(
            scheme in "(https|http|s3|postgres)",
            user in "[a-z]{1,8}",
            password in value(),
            host in "[a-z]{1,10}(\\.[a-z]{2,5})?(:[0-9]{1,5})?",
            path in "(/[A-Za-z0-9._=-]{0,10}){0,3}",
            key in "(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token|sig|signature|api_key|password|secret|access_token)",
            secret in value(),
            plain in "[a-z]{1,5}=[a-z0-9]{0,5}",
            prefix in "[ a-z:(]{0,10}",
        ) {
            let marker = format!("Q{secret}Z");
            let pw = format!("P{password}W");
            let url = format!("{scheme}://{user}:{pw}@{host}{path}?{plain}&{key}={marker}");
            let shown = redact_url(&url);
            prop_assert!(!shown.contains(&marker), "{shown}");
            prop_assert!(!shown.contains(&pw), "{shown}");
            prop_assert!(shown.contains(&host), "{shown}");
            prop_assert_eq!(redact_url(&shown), shown.clone());
            let text = format!("{prefix}{url} failed: {}", marker);
            let said = redact_text(&text, &url_secrets(&url).iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert!(!said.contains(&marker) && !said.contains(&pw), "{said}");
            prop_assert_eq!(redact_text(&said, &[]), said.clone());
        }

        #[test]
        fn any_text_is_safe(text in ".{0,80}") {
            let once = redact_text(&text, &[]);
            prop_assert_eq!(redact_text(&once, &[]), once.clone());
            let _ = redact_url(&text);
            let _ = url_secrets(&text);
            let _ = bounded(&text, 7);
        }
    }
}
