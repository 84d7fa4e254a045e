//! Command lines shown to people ("Reproduce: …"): each argument quoted for a POSIX shell when
//! it needs to be, so pasting the line runs the command it names and nothing else, whatever
//! the file, object or time it carries.

use std::borrow::Cow;

/// `arg` as one POSIX shell word: unchanged when every character is plain, else in single
/// quotes with each `'` written `'\''`.
pub fn quote(arg: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        Cow::Borrowed(arg)
    } else {
        Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

/// The words as one command line, each quoted as [`quote`] does.
pub fn command<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What a real `sh` makes of a command line: its arguments, as `printf '%s\0'` prints them.
    pub(crate) fn sh_words(line: &str) -> Vec<String> {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {line}"))
            .current_dir(std::env::temp_dir())
            .output()
            .expect("runs sh");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.strip_suffix('\0').unwrap_or(&text).split('\0').map(str::to_string).collect()
    }

    #[test]
    fn plain_words_stay_as_they_are() {
        assert_eq!(
            command(&["contrakt", "check", "contracts/orders.odcs.yaml", "--now", "2026-11-22T06:00:00+01:00"]),
            "contrakt check contracts/orders.odcs.yaml --now 2026-11-22T06:00:00+01:00"
        );
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(".git#branch=main"), "'.git#branch=main'");
    }

    #[test]
    fn a_hostile_file_name_is_one_argument_to_a_real_shell() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("PWN");
        let hostile = format!("x;$(id>{});`id>{0}`'\"\\ |&<>*?#~!\n{{a,b}} $HOME.yaml", pwned.display());
        let line = command(&["contrakt", "check", &hostile, "--object", "it's", "--sample", "100"]);
        assert_eq!(sh_words(&line), ["contrakt", "check", &hostile, "--object", "it's", "--sample", "100"]);
        assert!(!pwned.exists(), "the shell ran part of the name");
    }
}
