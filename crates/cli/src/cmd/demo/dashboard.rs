//! `charter demo` as the dashboard: fill the store once (people, logins, the month's
//! registers and activity), print the address and a login per role, and serve.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use jiff::Timestamp;

use charter_app::App;
use charter_store::Store;

use super::org::{self, Login};
use super::{DEMO_PACK, DemoArgs, demo_pack_from, traffic};
use crate::exit::{CmdResult, Outcome};

/// The folder beside the store (a SQLite file's folder; the working folder otherwise),
/// where the demo keeps its pack and its logins.
fn beside(url: &str) -> PathBuf {
    url.strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .and_then(|file| Path::new(file).parent().map(Path::to_path_buf))
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Serves the demo until Ctrl-C.
pub fn run(args: &DemoArgs) -> CmdResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: &DemoArgs) -> CmdResult {
    let dir = beside(&args.store);
    // The pack is written beside the store so that the dashboard's lint reads what runs.
    let pack_file = dir.join("charter-demo.toml");
    std::fs::write(&pack_file, DEMO_PACK)
        .with_context(|| format!("cannot write the demo pack to {}", pack_file.display()))?;
    let pack = demo_pack_from(&pack_file.display().to_string())?;
    let store = Store::open(&args.store)
        .await
        .with_context(|| format!("cannot open the store `{}`", args.store))?;
    let app = App::new(pack, store);
    let logins_file = dir.join("charter-demo.logins");
    let logins = if app.people().await?.is_empty() {
        println!(
            "Filling {} with {} days of activity at Demo Training Ltd (the first run only)...",
            args.store,
            traffic::DAYS
        );
        let now = Timestamp::now();
        let (people, logins) = org::people(&app).await?;
        org::workflows(&app, &people, now).await?;
        let made = traffic::month(&app, &people, now).await?;
        org::investigate(&app, &people).await?;
        println!(
            "{} monitoring records, {} alerts, for {} people.",
            made.records,
            made.alerts,
            people.len()
        );
        save(&logins_file, &logins)?;
        logins
    } else {
        println!("Reusing {} (delete it to start afresh).", args.store);
        match load(&logins_file) {
            Some(logins) => logins,
            None => {
                let logins = org::reset_logins(&app).await?;
                save(&logins_file, &logins)?;
                logins
            }
        }
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    print_logins(&url, &logins, &logins_file);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    charter_server::dashboard::serve_alone(listener, app, &url, shutdown)
        .await
        .context("the dashboard stopped")?;
    Ok(Outcome::Success)
}

fn print_logins(url: &str, logins: &[Login], file: &Path) {
    println!("\nCharter's dashboard: {url}/");
    println!(
        "Sign in with a login and its password, then the six-digit code an authenticator app\n\
         (or `oathtool --totp -b SECRET`) shows for its TOTP secret. Kept in {}.\n",
        file.display()
    );
    println!(
        "{:<13} {:<22} {:<34} role",
        "login", "password", "TOTP secret"
    );
    for l in logins {
        println!(
            "{:<13} {:<22} {:<34} {}",
            l.login, l.password, l.secret, l.role
        );
    }
    println!("\nCtrl-C stops it; the next `charter demo` reuses the same store and logins.");
    let _ = std::io::stdout().flush();
}

/// Writes the logins, readable by the owner only (they hold passwords).
fn save(file: &Path, logins: &[Login]) -> anyhow::Result<()> {
    let text: String = logins
        .iter()
        .map(|l| format!("{}\t{}\t{}\t{}\n", l.login, l.password, l.secret, l.role))
        .collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot write the demo logins to {}", file.display()))
}

/// The logins a first run saved, if the file is there and whole.
fn load(file: &Path) -> Option<Vec<Login>> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .map(|line| {
            let mut f = line.splitn(4, '\t');
            Some(Login {
                login: f.next()?.to_string(),
                password: f.next()?.to_string(),
                secret: f.next()?.to_string(),
                role: f.next()?.to_string(),
            })
        })
        .collect::<Option<Vec<_>>>()
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_keeps_its_files_beside_a_sqlite_store() {
        assert_eq!(beside("sqlite://charter-demo.db"), PathBuf::from("."));
        assert_eq!(beside("sqlite:///tmp/x/demo.db"), PathBuf::from("/tmp/x"));
        assert_eq!(beside("postgres://localhost/test"), PathBuf::from("."));
    }
}
