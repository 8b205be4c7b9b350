//! Where the demo partner gets its configuration: command-line flags, then
//! `DEMO_PARTNER_*` environment variables, then the credentials file that
//! `opengate demo` writes (`data/demo-partner.json`, mode 0600), then defaults.
//! Secrets are better passed by file or environment than by flag (`ps` shows flags).

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

/// Everything the demo partner needs.
#[derive(Clone)]
pub struct Settings {
    /// The platform's base URL (`http://127.0.0.1:8080`).
    pub platform_url: String,
    /// The app's access key.
    pub access_key: String,
    /// The key's secret; never printed.
    pub secret_key: String,
    /// The app's notify secrets (`whsec_…`); several during a rotation.
    pub notify_secrets: Vec<String>,
    /// Where this server listens.
    pub listen: SocketAddr,
    /// This server's own base URL as the browser and the platform reach it; the
    /// redirect URI is `{public_url}/callback` and must be registered for the app.
    pub public_url: String,
    /// The app's pricing currency (the demo sells in it).
    pub currency: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("platform_url", &self.platform_url)
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .field("notify_secrets", &format_args!("[{} redacted]", self.notify_secrets.len()))
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("currency", &self.currency)
            .finish()
    }
}

impl Settings {
    /// The redirect URI registered for the app.
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.public_url)
    }
}

/// The `--help` text.
pub const HELP: &str = "\
opengate-demo-partner: a demo shop that logs users in and takes payments with OpenGate.

Options (each also from an environment variable):
  --credentials FILE    DEMO_PARTNER_CREDENTIALS  JSON written by `opengate demo` (data/demo-partner.json)
  --platform-url URL    DEMO_PARTNER_PLATFORM_URL default http://127.0.0.1:8080
  --access-key AK       DEMO_PARTNER_ACCESS_KEY
  --secret-key SK       DEMO_PARTNER_SECRET_KEY   (prefer the file or the variable)
  --notify-secret S     DEMO_PARTNER_NOTIFY_SECRET whsec_…; several separated by commas
  --listen ADDR         DEMO_PARTNER_LISTEN       default 127.0.0.1:8081
  --public-url URL      DEMO_PARTNER_PUBLIC_URL   default http://<listen address>
  --currency CODE       DEMO_PARTNER_CURRENCY     default PTS
  -h, --help
";

/// The credentials file of `opengate demo`.
#[derive(Deserialize)]
struct CredentialsFile {
    platform_url: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    #[serde(default)]
    notify_secrets: Vec<String>,
}

const FLAGS: [&str; 8] =
    ["credentials", "platform-url", "access-key", "secret-key", "notify-secret", "listen", "public-url", "currency"];

/// What the command line asked for.
#[derive(Debug)]
pub enum Parsed {
    /// `--help`: print [`HELP`].
    Help,
    /// Serve with these settings.
    Run(Settings),
}

/// Reads flags (`--name value` or `--name=value`), then `env`, then the credentials
/// file, then defaults. `args` excludes the program name.
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Parsed, String> {
    let mut flags: Vec<(&str, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        let body = arg.strip_prefix("--").ok_or_else(|| format!("unexpected argument {arg:?} (see --help)"))?;
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let name = FLAGS.iter().copied().find(|f| *f == name).ok_or_else(|| format!("unknown option --{name}"))?;
        let value = match inline {
            Some(v) => v,
            None => it.next().cloned().ok_or_else(|| format!("--{name} needs a value"))?,
        };
        flags.push((name, value));
    }
    let get = |name: &str| -> Option<String> {
        let var = format!("DEMO_PARTNER_{}", name.to_ascii_uppercase().replace('-', "_"));
        flags
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| env(&var))
            .filter(|v| !v.is_empty())
    };
    let file = match get("credentials") {
        Some(path) => Some(read_credentials(Path::new(&path))?),
        None => None,
    };
    let from_file = |pick: fn(&CredentialsFile) -> Option<String>| file.as_ref().and_then(pick);

    let listen: SocketAddr = get("listen")
        .unwrap_or_else(|| "127.0.0.1:8081".into())
        .parse()
        .map_err(|e| format!("--listen: {e} (e.g. 127.0.0.1:8081)"))?;
    let notify_secrets = match get("notify-secret") {
        Some(list) => list.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        None => file.as_ref().map(|f| f.notify_secrets.clone()).unwrap_or_default(),
    };
    let missing = |what: &str| format!("{what} is required: pass --credentials data/demo-partner.json or --{what}");
    Ok(Parsed::Run(Settings {
        platform_url: get("platform-url")
            .or_else(|| from_file(|f| f.platform_url.clone()))
            .unwrap_or_else(|| "http://127.0.0.1:8080".into())
            .trim_end_matches('/')
            .to_owned(),
        access_key: get("access-key")
            .or_else(|| from_file(|f| f.access_key.clone()))
            .ok_or_else(|| missing("access-key"))?,
        secret_key: get("secret-key")
            .or_else(|| from_file(|f| f.secret_key.clone()))
            .ok_or_else(|| missing("secret-key"))?,
        notify_secrets,
        listen,
        public_url: get("public-url").unwrap_or_else(|| format!("http://{listen}")).trim_end_matches('/').to_owned(),
        currency: get("currency").unwrap_or_else(|| "PTS".into()),
    }))
}

fn read_credentials(path: &Path) -> Result<CredentialsFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // The error names the position only; serde does not echo values it cannot parse.
    serde_json::from_str(&text).map_err(|e| format!("{} is not a credentials file: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    fn run(p: Result<Parsed, String>) -> Settings {
        match p {
            Ok(Parsed::Run(s)) => s,
            other => panic!("expected settings, got {other:?}"),
        }
    }

    #[test]
    fn flags_beat_environment_which_beats_the_file() {
        let dir = std::env::temp_dir().join(format!("og-demo-partner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("creds.json");
        std::fs::write(
            &file,
            r#"{"platform_url":"http://og.test:9/","app_id":"demoapp","access_key":"akfile","secret_key":"skfile","notify_secrets":["whsec_AAAA","whsec_BBBB"]}"#,
        )
        .expect("write");
        let path = file.display().to_string();
        let s = run(parse(&args(&["--credentials", &path, "--access-key=akflag"]), |v| {
            (v == "DEMO_PARTNER_SECRET_KEY").then(|| "skenv".to_owned())
        }));
        assert_eq!(s.platform_url, "http://og.test:9");
        assert_eq!((s.access_key.as_str(), s.secret_key.as_str()), ("akflag", "skenv"));
        assert_eq!(s.notify_secrets, ["whsec_AAAA", "whsec_BBBB"]);
        assert_eq!(s.listen.to_string(), "127.0.0.1:8081");
        assert_eq!(s.redirect_uri(), "http://127.0.0.1:8081/callback");
        assert!(!format!("{s:?}").contains("skenv"), "Debug hides the secret key");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn everything_can_come_from_flags() {
        let s = run(parse(
            &args(&[
                "--access-key",
                "ak1",
                "--secret-key",
                "sk1",
                "--notify-secret",
                "whsec_A,whsec_B",
                "--listen",
                "0.0.0.0:9000",
                "--public-url",
                "https://shop.example/",
                "--currency",
                "USD",
            ]),
            |_| None,
        ));
        assert_eq!(s.notify_secrets, ["whsec_A", "whsec_B"]);
        assert_eq!(s.public_url, "https://shop.example");
        assert_eq!(s.currency, "USD");
        assert_eq!(s.platform_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(matches!(parse(&args(&["--help"]), |_| None), Ok(Parsed::Help)));
        assert!(parse(&args(&[]), |_| None).is_err_and(|e| e.contains("access-key is required")));
        assert!(parse(&args(&["--nope", "1"]), |_| None).is_err_and(|e| e.contains("--nope")));
        assert!(parse(&args(&["--listen"]), |_| None).is_err_and(|e| e.contains("needs a value")));
        assert!(parse(&args(&["stray"]), |_| None).is_err());
        let bad = parse(&args(&["--credentials", "/nonexistent/creds.json"]), |_| None);
        assert!(bad.is_err_and(|e| e.contains("cannot read")));
    }
}
