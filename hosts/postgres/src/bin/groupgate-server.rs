//! `groupgate-server --db URL --account ID [--listen ADDR] [--name NAME]
//! [--snapshot-every N]`: one server of an account replicated through
//! PostgreSQL. Prints `listening ADDR` once it has loaded the account and
//! serves requests (one JSON object per line) until killed.

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use groupgate_postgres::server::{Options, Server};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut url, mut account, mut listen, mut name, mut every) =
        (None, None, "127.0.0.1:0".to_string(), format!("server-{}", std::process::id()), 1000u64);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--db", Some(v)) => url = Some(v),
            ("--account", Some(v)) => account = Some(v),
            ("--listen", Some(v)) => listen = v,
            ("--name", Some(v)) => name = v,
            ("--snapshot-every", Some(v)) => match v.parse() {
                Ok(n) => every = n,
                Err(_) => return usage(&format!("--snapshot-every {v}: not a number")),
            },
            (flag, _) => return usage(&format!("unexpected `{flag}`")),
        }
    }
    let (Some(url), Some(account)) = (url, account) else { return usage("--db and --account are required") };
    let opts = Options { url, account, name: name.clone(), snapshot_every: every };
    let server = match Server::start(opts, Duration::from_secs(60)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("{name}: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
    println!("listening {addr} at {}", server.seq());
    let _ = std::io::stdout().flush();
    server.serve(listener);
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "{why}\nusage: groupgate-server --db URL --account ID [--listen ADDR] [--name NAME] [--snapshot-every N]"
    );
    ExitCode::from(2)
}
