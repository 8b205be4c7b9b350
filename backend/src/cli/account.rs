//! `opengate user …`: accounts the operator makes and repairs (SPEC §11): create one,
//! set its password, set its payment PIN.
//!
//! Secrets never come from the command line, where every user of the machine sees
//! them (`ps`) and the shell keeps them (history). They come from a prompt without
//! echo, from standard input (`--password-stdin`, `--pin-stdin`), or from
//! `OG_NEW_PASSWORD` / `OG_NEW_PIN`: outside the configuration's `OPENGATE_` prefix,
//! whose unknown names the configuration refuses. Secrets are read and checked before
//! the database is opened, so a refused one changes nothing, and are never logged.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};

use clap::Subcommand;
use opengate_shared::h5api::is_pin_shape;
use secrecy::{ExposeSecret, SecretString};

use crate::admin;
use crate::state::AppState;
use crate::storage::{pay, sessions, users};

/// The variable `user create` and `user set-password` read a password from.
pub const PASSWORD_VAR: &str = "OG_NEW_PASSWORD";
/// The variable `user set-pin` reads a payment PIN from.
pub const PIN_VAR: &str = "OG_NEW_PIN";

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a platform account. Its password comes from a prompt, from
    /// --password-stdin or from OG_NEW_PASSWORD (never from an argument);
    /// --no-password makes an account that cannot log in yet.
    Create {
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        nickname: String,
        #[command(flatten)]
        password: PasswordFrom,
        /// Create the account without a password (give it one later with `user set-password`).
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
    },
    /// Set or replace an account's password (from a prompt, --password-stdin or
    /// OG_NEW_PASSWORD). Ends the account's H5 sessions and clears its login lockout.
    SetPassword {
        /// User id, mobile or e-mail.
        user: String,
        #[command(flatten)]
        password: PasswordFrom,
    },
    /// Set or replace an account's payment PIN: 6 digits, from a prompt, --pin-stdin or
    /// OG_NEW_PIN. Clears the PIN lockout and ends the account's H5 sessions.
    SetPin {
        /// User id, mobile or e-mail.
        user: String,
        #[command(flatten)]
        pin: PinFrom,
    },
}

/// Where a password comes from; an argument carrying one is parsed only to be refused.
#[derive(Debug, clap::Args)]
pub struct PasswordFrom {
    /// Read the password from standard input (e.g. `printf '%s\n' "$PW" | opengate …`);
    /// one line ending is removed.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long = "password", alias = "new-password", hide = true, num_args = 0..=1, default_missing_value = "",
          allow_hyphen_values = true, value_parser = on_command_line)]
    option: Option<OnCommandLine>,
    #[arg(hide = true, value_parser = on_command_line)]
    positional: Option<OnCommandLine>,
}

/// Where a payment PIN comes from; an argument carrying one is parsed only to be refused.
#[derive(Debug, clap::Args)]
pub struct PinFrom {
    /// Read the PIN from standard input (e.g. `printf '%s\n' "$PIN" | opengate …`).
    #[arg(long)]
    pub pin_stdin: bool,
    #[arg(long = "pin", alias = "new-pin", hide = true, num_args = 0..=1, default_missing_value = "",
          allow_hyphen_values = true, value_parser = on_command_line)]
    option: Option<OnCommandLine>,
    #[arg(hide = true, value_parser = on_command_line)]
    positional: Option<OnCommandLine>,
}

/// A secret given as an argument: only the fact is kept, never the value.
#[derive(Debug, Clone, Copy)]
pub struct OnCommandLine;

fn on_command_line(_: &str) -> Result<OnCommandLine, std::convert::Infallible> {
    Ok(OnCommandLine)
}

/// What one kind of secret is called and where it may come from.
#[derive(Debug, Clone, Copy)]
struct Kind {
    noun: &'static str,
    var: &'static str,
    flag: &'static str,
    /// The rule the secret must follow; the message never repeats it.
    rule: fn(&str) -> Result<(), String>,
}

const PASSWORD: Kind =
    Kind { noun: "password", var: PASSWORD_VAR, flag: "--password-stdin", rule: crate::password::check_new };
const PIN: Kind = Kind { noun: "payment PIN", var: PIN_VAR, flag: "--pin-stdin", rule: pin_rule };

/// The H5's rule for a payment PIN (`shared::h5api::is_pin_shape`).
fn pin_rule(pin: &str) -> Result<(), String> {
    if is_pin_shape(pin) {
        Ok(())
    } else {
        Err("the payment PIN must be exactly 6 digits (0-9)".into())
    }
}

impl Kind {
    fn refuse_argument(self) -> anyhow::Error {
        anyhow::anyhow!(
            "a {} is never taken from the command line (other users see it in `ps`, the shell keeps it \
             in its history): use {} (standard input), {}, or leave both out to be prompted; nothing changed",
            self.noun,
            self.flag,
            self.var
        )
    }

    fn check(self, secret: &str) -> anyhow::Result<()> {
        (self.rule)(secret).map_err(|e| anyhow::anyhow!("{e}; nothing changed"))
    }
}

/// Refuses a secret given as an argument (`--password x`, `--pin 123456`, or an extra
/// positional). Runs before anything else, even before the configuration is read.
pub fn refuse_secret_arguments(cmd: &UserCmd) -> anyhow::Result<()> {
    let given = |o: &Option<OnCommandLine>, p: &Option<OnCommandLine>| o.is_some() || p.is_some();
    match cmd {
        UserCmd::Create { password: f, .. } | UserCmd::SetPassword { password: f, .. }
            if given(&f.option, &f.positional) =>
        {
            Err(PASSWORD.refuse_argument())
        }
        UserCmd::SetPin { pin: f, .. } if given(&f.option, &f.positional) => Err(PIN.refuse_argument()),
        _ => Ok(()),
    }
}

/// Where secrets are read from: the process's own standard input, environment and
/// terminal, or a stand-in in tests.
pub trait Source {
    fn var(&self, name: &str) -> Option<OsString>;
    fn stdin_is_terminal(&self) -> bool;
    fn read_stdin(&mut self) -> std::io::Result<Vec<u8>>;
    /// Asks on the terminal without echo.
    fn prompt(&mut self, text: &str) -> std::io::Result<String>;
}

/// The process's standard input, environment and terminal.
pub struct Process;

/// More than any password the rule allows: a bigger input is refused, not read whole.
const STDIN_LIMIT: u64 = 64 * 1024;

impl Source for Process {
    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn stdin_is_terminal(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn read_stdin(&mut self) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        std::io::stdin().lock().take(STDIN_LIMIT).read_to_end(&mut buf)?;
        Ok(buf)
    }

    fn prompt(&mut self, text: &str) -> std::io::Result<String> {
        rpassword::prompt_password(text)
    }
}

/// Reads the secret `cmd` needs (None: it needs none, or `--no-password`) and checks
/// it against its rule. Nothing is opened or changed yet.
pub fn read_secret(cmd: &UserCmd, src: &mut dyn Source) -> anyhow::Result<Option<SecretString>> {
    refuse_secret_arguments(cmd)?;
    let (kind, from_stdin) = match cmd {
        UserCmd::Create { no_password: true, .. } => {
            anyhow::ensure!(
                src.var(PASSWORD_VAR).is_none(),
                "--no-password is given but {PASSWORD_VAR} is set: unset it, or leave --no-password out; nothing changed"
            );
            return Ok(None);
        }
        UserCmd::Create { password, .. } | UserCmd::SetPassword { password, .. } => (PASSWORD, password.password_stdin),
        UserCmd::SetPin { pin, .. } => (PIN, pin.pin_stdin),
    };
    let secret = obtain(kind, from_stdin, src)?;
    kind.check(secret.expose_secret())?;
    Ok(Some(secret))
}

fn obtain(kind: Kind, from_stdin: bool, src: &mut dyn Source) -> anyhow::Result<SecretString> {
    let Kind { noun, var, flag, .. } = kind;
    let text = match (from_stdin, src.var(var)) {
        (true, Some(_)) => {
            anyhow::bail!("{flag} is given but {var} is set too: give the {noun} one way; nothing changed")
        }
        (true, None) => {
            let raw = src.read_stdin().map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
            let text = String::from_utf8(raw).map_err(|_| anyhow::anyhow!("standard input is not UTF-8 text"))?;
            let line = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t));
            line.unwrap_or(&text).to_owned()
        }
        (false, Some(v)) => v.into_string().map_err(|_| anyhow::anyhow!("{var} is not UTF-8 text"))?,
        (false, None) if src.stdin_is_terminal() => {
            let first = src.prompt(&format!("New {noun}: "))?;
            let again = src.prompt(&format!("The {noun} again: "))?;
            anyhow::ensure!(first == again, "the two {noun}s differ; nothing changed");
            first
        }
        (false, None) => anyhow::bail!(
            "no {noun} given: pipe it with {flag}, set {var}, or run in a terminal to be prompted \
             (a {noun} is never taken from an argument)"
        ),
    };
    anyhow::ensure!(!text.is_empty(), "the {noun} is empty; nothing changed");
    Ok(SecretString::from(text))
}

/// Runs a user command with its secret (from [`read_secret`]). `op_id` names this
/// operation in the log line every account change writes (never with a secret).
pub async fn operate(st: &AppState, cmd: UserCmd, secret: Option<SecretString>, op_id: &str) -> anyhow::Result<String> {
    let secret = secret.as_ref().map(|s| s.expose_secret());
    match cmd {
        UserCmd::Create { mobile, email, nickname, .. } => {
            let id = admin::create_user(st, mobile.as_deref(), email.as_deref(), secret, &nickname).await?;
            tracing::info!(op_id, command = "user create", user_id = %id, password_set = secret.is_some(),
                "operator: account created");
            Ok(match secret {
                Some(_) => format!("user {id} created with a password (operation {op_id})"),
                None => format!(
                    "user {id} created without a password: it cannot log in until \
                     `opengate user set-password {id}` (operation {op_id})"
                ),
            })
        }
        UserCmd::SetPassword { user, .. } => {
            let password = secret.ok_or_else(|| anyhow::anyhow!("no password given"))?;
            let u = admin::find_user(st, &user).await?;
            let (p, id) = (password.to_owned(), u.id.clone());
            let hash = tokio::task::spawn_blocking(move || crate::password::hash(&p))
                .await
                .map_err(|e| anyhow::anyhow!("password hashing task: {e}"))??;
            let mut w = st.db.begin_write().await?;
            anyhow::ensure!(
                users::set_password_hash(&mut *w.tx, &id, &hash, st.clock.now_ms()).await?,
                "user {id} disappeared; nothing changed"
            );
            let ended = sessions::delete_for_user(&mut *w.tx, &id).await?;
            for account in u.mobile.iter().chain(u.email.iter()) {
                sessions::clear_failures(&mut *w.tx, account).await?;
            }
            w.commit().await?;
            tracing::info!(op_id, command = "user set-password", user_id = %id, sessions_ended = ended,
                "operator: password set, H5 sessions ended, login lockout cleared");
            Ok(format!(
                "password of {id} set; {} ended, login lockout cleared (operation {op_id})",
                sessions_text(ended)
            ))
        }
        UserCmd::SetPin { user, .. } => {
            let pin = secret.ok_or_else(|| anyhow::anyhow!("no payment PIN given"))?;
            let id = admin::find_user(st, &user).await?.id;
            let hash = st.secrets.pin_hash(&id, pin);
            let mut w = st.db.begin_write().await?;
            pay::set_pin(&mut *w.tx, &id, &hash, st.clock.now_ms()).await?;
            let ended = sessions::delete_for_user(&mut *w.tx, &id).await?;
            w.commit().await?;
            tracing::info!(op_id, command = "user set-pin", user_id = %id, sessions_ended = ended,
                "operator: payment PIN set, PIN lockout cleared, H5 sessions ended");
            Ok(format!(
                "payment PIN of {id} set; PIN lockout cleared, {} ended (operation {op_id})",
                sessions_text(ended)
            ))
        }
    }
}

fn sessions_text(n: u64) -> String {
    if n == 1 {
        "1 H5 session".into()
    } else {
        format!("{n} H5 sessions")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// A stand-in for the process: variables, standard input, terminal answers.
    #[derive(Default)]
    struct Fake {
        vars: Vec<(&'static str, &'static str)>,
        stdin: &'static str,
        terminal: bool,
        answers: Vec<&'static str>,
        prompts: Vec<String>,
    }

    impl Source for Fake {
        fn var(&self, name: &str) -> Option<OsString> {
            self.vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
        }
        fn stdin_is_terminal(&self) -> bool {
            self.terminal
        }
        fn read_stdin(&mut self) -> std::io::Result<Vec<u8>> {
            Ok(self.stdin.as_bytes().to_vec())
        }
        fn prompt(&mut self, text: &str) -> std::io::Result<String> {
            self.prompts.push(text.to_owned());
            Ok(if self.answers.is_empty() { String::new() } else { self.answers.remove(0).to_owned() })
        }
    }

    #[derive(Debug, Parser)]
    struct Args {
        #[command(subcommand)]
        cmd: UserCmd,
    }

    fn parse(args: &[&str]) -> UserCmd {
        Args::try_parse_from(std::iter::once("user").chain(args.iter().copied())).expect("parses").cmd
    }

    fn read(args: &[&str], src: &mut Fake) -> Result<Option<String>, String> {
        read_secret(&parse(args), src).map(|s| s.map(|s| s.expose_secret().to_owned())).map_err(|e| e.to_string())
    }

    #[test]
    fn secrets_on_the_command_line_are_refused_without_repeating_them() {
        for args in [
            &["set-password", "u1", "--password", "hunter2hunter2"][..],
            &["set-password", "u1", "--password=hunter2hunter2"],
            &["set-password", "u1", "--password"],
            &["set-password", "u1", "hunter2hunter2"],
            &["create", "--email", "a@b.example", "--nickname", "A", "--new-password", "-x-hunter2"],
        ] {
            let err = read(args, &mut Fake::default()).expect_err("refused");
            assert!(err.contains("never taken from the command line") && err.contains("--password-stdin"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        for args in [&["set-pin", "u1", "--pin", "123456"][..], &["set-pin", "u1", "123456"]] {
            let err = read(args, &mut Fake::default()).expect_err("refused");
            assert!(err.contains("--pin-stdin") && !err.contains("123456"), "{err}");
        }
    }

    #[test]
    fn secrets_come_from_stdin_a_variable_or_a_prompt() {
        let mut stdin = Fake { stdin: "correct horse\r\n", ..Fake::default() };
        assert_eq!(read(&["set-password", "u1", "--password-stdin"], &mut stdin), Ok(Some("correct horse".into())));
        let mut var = Fake { vars: vec![(PIN_VAR, "024680")], ..Fake::default() };
        assert_eq!(read(&["set-pin", "u1"], &mut var), Ok(Some("024680".into())));
        let mut tty = Fake { terminal: true, answers: vec!["correct horse", "correct horse"], ..Fake::default() };
        assert_eq!(read(&["set-password", "u1"], &mut tty), Ok(Some("correct horse".into())));
        assert_eq!(tty.prompts, ["New password: ", "The password again: "]);
        let mut none = Fake::default();
        assert_eq!(
            read(&["create", "--email", "a@b.example", "--nickname", "A", "--no-password"], &mut none),
            Ok(None)
        );
    }

    #[test]
    fn unclear_or_bad_secrets_are_refused() {
        let cases: Vec<(&[&str], Fake, &str)> = vec![
            (&["set-password", "u1"], Fake::default(), "no password given"),
            (&["set-password", "u1", "--password-stdin"], Fake { stdin: "short\n", ..Fake::default() }, "at least 8"),
            (&["set-password", "u1", "--password-stdin"], Fake { stdin: "\n", ..Fake::default() }, "empty"),
            (
                &["set-password", "u1", "--password-stdin"],
                Fake { stdin: "correct horse", vars: vec![(PASSWORD_VAR, "x")], ..Fake::default() },
                "one way",
            ),
            (
                &["set-password", "u1"],
                Fake { terminal: true, answers: vec!["correct horse", "correct house"], ..Fake::default() },
                "differ",
            ),
            (&["set-pin", "u1", "--pin-stdin"], Fake { stdin: "12345\n", ..Fake::default() }, "exactly 6 digits"),
            (&["set-pin", "u1"], Fake { vars: vec![(PIN_VAR, "12345a")], ..Fake::default() }, "exactly 6 digits"),
            (
                &["create", "--email", "a@b.example", "--nickname", "A", "--no-password"],
                Fake { vars: vec![(PASSWORD_VAR, "correct horse")], ..Fake::default() },
                "--no-password is given but OG_NEW_PASSWORD is set",
            ),
        ];
        for (args, mut src, needle) in cases {
            let err = read(args, &mut src).expect_err(needle);
            assert!(err.contains(needle), "{args:?}: {err}");
            assert!(!err.contains("horse") && !err.contains("12345"), "{err}");
        }
    }
}
