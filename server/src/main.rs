//! `groupgate-server`: see `groupgate-server --help` and `server/README.md`.

use std::process::ExitCode;

use clap::Parser;
use groupgate_server::options::{AccountAction, Cli, Command};
use groupgate_server::{ServerError, db, keys};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GROUPGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tokio_postgres=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("groupgate-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("groupgate-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Command::Serve(opts) => {
            let running = groupgate_server::serve::start(opts).await?;
            tokio::select! {
                () = shutdown_signal() => {
                    tracing::info!("stopping");
                    running.stop().await;
                }
            }
            Ok(())
        }
        Command::Migrate { database_url } => {
            let pool = db::pool(&database_url, 1)?;
            db::migrate(&pool).await
        }
        Command::Account { database_url, action } => {
            let pool = db::pool(&database_url, 1)?;
            db::migrate(&pool).await?;
            let client = pool.get().await?;
            match action {
                AccountAction::Create { id, config, start } => {
                    groupgate::check_id(&id).map_err(|e| ServerError::Config(format!("the account id: {e}")))?;
                    let text = std::fs::read_to_string(&config)
                        .map_err(|e| ServerError::Config(format!("{}: {e}", config.display())))?;
                    let file: groupgate_scenario::AccountFile = serde_json::from_str(&text)
                        .map_err(|e| ServerError::Config(format!("{}: {e}", config.display())))?;
                    file.builder().build().map_err(|e| ServerError::Config(format!("{}: {e}", config.display())))?;
                    let start = match start {
                        Some(s) => {
                            let quoted = if s.bytes().all(|b| b.is_ascii_digit()) { s } else { format!("\"{s}\"") };
                            let i: groupgate_scenario::Instant = serde_json::from_str(&quoted)
                                .map_err(|e| ServerError::Config(format!("--start: {e}")))?;
                            Some(i.0)
                        }
                        None => (file.start.0 != 0).then_some(file.start.0),
                    };
                    let initial = serde_json::to_string(&file).map_err(|e| ServerError::Config(e.to_string()))?;
                    let key = keys::new_key();
                    if !db::create_account(&client, &id, &initial, start, &keys::hash(&key)).await? {
                        return Err(ServerError::Config(format!("account `{id}` exists")));
                    }
                    println!("{key}");
                }
                AccountAction::Delete { id } => {
                    if !db::delete_account(&client, &id).await? {
                        return Err(ServerError::Config(format!("no account `{id}`")));
                    }
                }
                AccountAction::RotateKey { id } => {
                    let key = keys::new_key();
                    if !db::set_key(&client, &id, &keys::hash(&key)).await? {
                        return Err(ServerError::Config(format!("no account `{id}`")));
                    }
                    println!("{key}");
                }
            }
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
