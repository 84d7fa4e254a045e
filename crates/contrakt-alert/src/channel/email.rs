//! Email over SMTP (lettre on rustls): a multipart message, plain text and HTML, over STARTTLS
//! or implicit TLS (plain only to a loopback relay), logging in with the password from the
//! variable `password-env` names. Delivered when the server accepts the message; its
//! Message-ID carries the idempotency key, so a resend is recognisable.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::{Outcome, secret};
use crate::alert::{Alert, RecipientKind};
use crate::config::{Channel, Secrets, Smtp, SmtpTls};

pub(super) fn send(
    channel: &Channel,
    secrets: &Secrets,
    alert: &Alert,
    html: Option<String>,
    key: &str,
    timeout: std::time::Duration,
) -> Outcome {
    let Some(smtp) = &channel.smtp else {
        return Outcome::Dead { error: format!("channel `{}` has no SMTP settings", channel.name) };
    };
    let password = match secret(channel, secrets, smtp.password_env.as_deref()) {
        Ok(p) => p,
        Err(o) => return o,
    };
    // The host is contrakt.yaml's, which a pull request can change: a password from this job's
    // environment logs in only to a host the operator allows (as a contract's warehouse).
    if password.is_some() {
        let allow = secrets.get(ALLOW_HOSTS_ENV).unwrap_or_default();
        if !host_allowed(&smtp.host, smtp.port, &allow) {
            return Outcome::Dead {
                error: format!(
                    "SMTP {}: {ALLOW_HOSTS_ENV} does not allow this host, and the password of `password-env` goes only to a host the operator allows (allow {}:{} or {})",
                    smtp.host, smtp.host, smtp.port, smtp.host
                ),
            };
        }
    }
    let message = match message(smtp, alert, html, key) {
        Ok(m) => m,
        Err(error) => return Outcome::Dead { error },
    };
    let transport = match transport(smtp, password, timeout) {
        Ok(t) => t,
        Err(error) => return Outcome::Dead { error },
    };
    match transport.send(&message) {
        Ok(_) => Outcome::Delivered,
        // A 5xx (a refused recipient or login) or a certificate that does not verify will not
        // succeed by waiting; `alerts retry` resends once fixed.
        Err(e) if e.is_permanent() || e.is_tls() || bad_handshake(&e) => {
            Outcome::Dead { error: format!("SMTP {}: {e}", smtp.host) }
        }
        Err(e) => Outcome::Retry { error: format!("SMTP {}: {e}", smtp.host), after: None },
    }
}

/// The operator's allow-list of hosts chosen by registry files (shared with contract endpoints).
const ALLOW_HOSTS_ENV: &str = "CONTRAKT_ALLOW_CONTRACT_ENDPOINTS";

/// Whether `allow` (comma-separated `host`, `host:port`, or `*`) names `host` on `port`.
fn host_allowed(host: &str, port: u16, allow: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    allow.split(',').map(str::trim).filter(|a| !a.is_empty()).any(|a| {
        if a == "*" {
            return true;
        }
        match a.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
                h.trim_matches(['[', ']']).eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == Some(port)
            }
            _ => a.trim_matches(['[', ']']).eq_ignore_ascii_case(host),
        }
    })
}

/// A TLS handshake that failed on what the server sent (an untrusted or mismatched
/// certificate): rustls reports it as invalid data under lettre's network error.
fn bad_handshake(e: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData) {
            return true;
        }
        source = s.source();
    }
    false
}

/// The addresses mailed: `to`, and with `to-contacts` the recipients' `email` contacts.
pub fn recipients(smtp: &Smtp, alert: &Alert) -> Vec<String> {
    let mut out: Vec<String> = smtp.to.clone();
    if smtp.to_contacts {
        for r in &alert.recipients {
            for c in &r.contacts {
                let email = c.channel.eq_ignore_ascii_case("email")
                    || (r.kind == RecipientKind::Support && c.target.starts_with("mailto:"));
                let address = c.target.strip_prefix("mailto:").unwrap_or(&c.target).to_string();
                if email && address.parse::<Mailbox>().is_ok() && !out.contains(&address) {
                    out.push(address);
                }
            }
        }
    }
    out
}

/// The email; `html` replaces contrakt's HTML part (a channel template's).
pub fn message(smtp: &Smtp, alert: &Alert, html: Option<String>, key: &str) -> Result<Message, String> {
    let parse = |a: &str| a.parse::<Mailbox>().map_err(|e| format!("`{a}` is not an email address: {e}"));
    let header = |name: &'static str, value: &str| HeaderValue::new(HeaderName::new_from_ascii_str(name), value.into());
    let mut builder = Message::builder()
        .from(parse(&smtp.from)?)
        .subject(alert.title.as_str())
        .message_id(Some(format!("<{key}@contrakt.alert>")))
        .raw_header(header("X-Contrakt-Event", alert.event.as_str()))
        .raw_header(header("X-Contrakt-Fingerprint", &alert.fingerprint))
        .raw_header(header("X-Contrakt-Audience", alert.audience_str()));
    let to = recipients(smtp, alert);
    if to.is_empty() {
        return Err("no recipient: `to` is empty and no recipient has an email contact".into());
    }
    for a in &to {
        builder = builder.to(parse(a)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            alert.text.clone(),
            html.unwrap_or_else(|| crate::message::html(alert)),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

fn transport(smtp: &Smtp, password: Option<String>, timeout: std::time::Duration) -> Result<SmtpTransport, String> {
    let tls = match smtp.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls | SmtpTls::Tls => {
            let mut params = TlsParameters::builder(smtp.host.clone());
            if let Some(path) = &smtp.ca_file {
                let pem = std::fs::read(path).map_err(|e| format!("ca-file {}: {e}", path.display()))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| format!("ca-file {}: {e}", path.display()))?;
                params = params.add_root_certificate(cert);
            }
            let params = params.build_rustls().map_err(|e| format!("TLS for {}: {e}", smtp.host))?;
            if smtp.tls == SmtpTls::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
        }
    };
    let mut builder =
        SmtpTransport::builder_dangerous(smtp.host.as_str()).port(smtp.port).tls(tls).timeout(Some(timeout));
    if let (Some(user), Some(password)) = (&smtp.username, password) {
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}
