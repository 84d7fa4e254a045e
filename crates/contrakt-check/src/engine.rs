//! Where a check's plans execute. The checker builds the same logical plans for every engine;
//! only the session that runs them changes: DataFusion in this process, or a Ballista cluster
//! that receives the plans serialised (datafusion-proto) and reads the data from its executors.

use std::fmt;

use crate::error::{Error, Result};

/// The port a Ballista scheduler listens on unless told otherwise.
pub const BALLISTA_DEFAULT_PORT: u16 = 50050;

/// `--engine`: `embedded` (the default) or `ballista://HOST:PORT`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion in this process.
    #[default]
    Embedded,
    /// A Ballista cluster, named by its scheduler.
    Ballista { host: String, port: u16 },
}

impl Engine {
    /// Parses `embedded` or `ballista://HOST[:PORT]` (`df://` too, Ballista's own scheme).
    pub fn parse(text: &str) -> Result<Engine> {
        let usage =
            |why: &str| Error::Usage(format!("--engine `{text}`: {why}; use `embedded` or `ballista://HOST:PORT`"));
        if text == "embedded" {
            return Ok(Engine::Embedded);
        }
        let Some(rest) = text.strip_prefix("ballista://").or_else(|| text.strip_prefix("df://")) else {
            return Err(usage("unknown engine"));
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(usage("give the scheduler as HOST or HOST:PORT"));
        }
        // `[::1]:50050` keeps its brackets; otherwise the port follows the last colon.
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && (!host.contains(':') || host.ends_with(']')) => {
                let port: u16 = port.parse().map_err(|_| usage(&format!("`{port}` is not a port number")))?;
                (host, port)
            }
            _ if rest.contains(':') && !rest.starts_with('[') => {
                return Err(usage("a port follows the host: HOST:PORT"));
            }
            _ => (rest, BALLISTA_DEFAULT_PORT),
        };
        if port == 0 {
            return Err(usage("the port cannot be 0"));
        }
        Ok(Engine::Ballista { host: host.to_string(), port })
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self, Engine::Embedded)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Embedded => f.write_str("embedded"),
            Engine::Ballista { host, port } => write!(f, "ballista://{host}:{port}"),
        }
    }
}

impl std::str::FromStr for Engine {
    type Err = Error;
    fn from_str(s: &str) -> Result<Engine> {
        Engine::parse(s)
    }
}

/// Is this build able to run on Ballista (`--features ballista`)?
pub const BALLISTA_BUILT: bool = cfg!(feature = "ballista");

/// Why an engine cannot be used by this build, if it cannot.
pub(crate) fn unavailable(engine: &Engine) -> Option<Error> {
    match engine {
        Engine::Ballista { .. } if !BALLISTA_BUILT => Some(Error::Usage(format!(
            "--engine {engine}: this contrakt was built without Ballista support; build it with `--features ballista` (cargo install contrakt --features ballista)"
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_parse() {
        assert_eq!(Engine::parse("embedded").unwrap(), Engine::Embedded);
        let b = |h: &str, p| Engine::Ballista { host: h.into(), port: p };
        assert_eq!(Engine::parse("ballista://127.0.0.1:50051").unwrap(), b("127.0.0.1", 50051));
        assert_eq!(Engine::parse("ballista://scheduler").unwrap(), b("scheduler", 50050));
        assert_eq!(Engine::parse("ballista://sched:7/").unwrap(), b("sched", 7));
        assert_eq!(Engine::parse("df://h:1").unwrap(), b("h", 1));
        assert_eq!(Engine::parse("ballista://[::1]:9").unwrap(), b("[::1]", 9));
        assert_eq!(Engine::parse("ballista://h:1").unwrap().to_string(), "ballista://h:1");
    }

    #[test]
    fn bad_engines_say_what_is_wrong() {
        let e = |s: &str| Engine::parse(s).unwrap_err().to_string();
        assert_eq!(e("spark://x"), "--engine `spark://x`: unknown engine; use `embedded` or `ballista://HOST:PORT`");
        assert!(e("ballista://h:port").contains("`port` is not a port number"), "{}", e("ballista://h:port"));
        assert!(e("ballista://").contains("HOST or HOST:PORT"));
        assert!(e("ballista://h:1/x").contains("HOST or HOST:PORT"));
        assert!(e("ballista://h:0").contains("cannot be 0"));
        assert!(e("ballista://h:99999").contains("not a port number"));
    }
}
