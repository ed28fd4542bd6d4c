//! The command line: parse arguments, call the library, print, exit.
//! Exit codes: 0 ok, 1 problems in the content, 2 usage or I/O failure.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 alike).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A build frees and allocates the same memory over and over; by default
/// mimalloc gives freed pages back to the system after 10 ms, and taking
/// them again costs a page fault and zeroing each time (perf: a sixth of a
/// 10,000-article build in the kernel's `clear_page`). Keeping them for a
/// second does not raise the peak (that is what is live at once) and cut
/// the build's system time by two thirds.
fn tune_allocator(purge_delay_ms: std::ffi::c_long) {
    // SAFETY: sets an integer option; mimalloc allows it at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, purge_delay_ms) };
}

/// `serve` relinks and renders after each edit, seconds apart: what it
/// freed in between would have gone back to the system and be faulted and
/// zeroed again at the next edit. A server keeps it (-1: never purge); its
/// memory stays at its largest edit's.
const SERVE_PURGE_DELAY: std::ffi::c_long = -1;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use clap::{Parser, Subcommand};
use dossier::{diag::Diagnostic, Failure};

#[derive(Parser)]
#[command(
    name = "dossier",
    version,
    about = "Build briefing sites from source articles: sources, entities, topics, a merged timeline, and where sources disagree."
)]
struct Cli {
    /// The dossier folder (holding book.toml and content/).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder, atomically.
    Build {
        /// Output folder (default: `[build] build-dir` of book.toml, else `book`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print where the time and memory went, stage by stage, and what each template cost.
        #[arg(long)]
        timings: bool,
    },
    /// Check everything a build checks plus every internal link; write nothing.
    Check,
    /// Create new content.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Create a fresh dossier in DIR that builds at once.
    Init { dir: PathBuf },
    /// Import the posts of a Jekyll or Hugo site (or a folder of Markdown posts) as articles.
    Import {
        /// The site's folder (with `_posts/`, or Hugo's `content/`).
        src: PathBuf,
        /// Import drafts too (`draft: true`, `published: false`, `_drafts/`).
        #[arg(long)]
        drafts: bool,
        /// Overwrite articles that already exist in the dossier.
        #[arg(long)]
        force: bool,
    },
    /// Serve the site on 127.0.0.1 from memory, rebuilding and reloading pages on every change.
    Serve {
        /// Port to listen on (0: any free port; the address is printed).
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Print a briefing of book.toml (or, without ID, the whole dossier) to PDF with headless Chromium.
    Pdf {
        /// The briefing's id (`[[briefings]] id` in book.toml).
        id: Option<String>,
        /// Where to write the PDF (default: `<id>.pdf`, or `dossier.pdf`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum NewWhat {
    /// A new article with the front-matter skeleton.
    Article { title: String },
}

fn secs(t: Instant) -> String {
    format!("{:.2} s", t.elapsed().as_secs_f64())
}

/// A spinner with the count of files written, on a terminal only.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} building: {pos} files written").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{d}");
    }
}

fn report(failure: Failure) -> ExitCode {
    match failure {
        Failure::Content { diagnostics, render } => {
            print_diags(&diagnostics);
            for r in &render {
                eprintln!("error: {r}");
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count() + render.len();
            let warnings = diagnostics.len() - diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("dossier: {errors} error(s), {warnings} warning(s); nothing was written");
            ExitCode::from(1)
        }
        Failure::Fatal(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    dossier::seed_hashes_per_thread();
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve { .. }) {
        tune_allocator(SERVE_PURGE_DELAY);
    } else {
        tune_allocator(1000);
    }
    match cli.command {
        Command::Build { out, timings } => {
            let started = Instant::now();
            let bar = progress_bar();
            let result = dossier::build_with_progress(&cli.root, out.as_deref(), &|n| {
                if n % 32 == 0 {
                    bar.set_position(n as u64);
                }
            });
            bar.finish_and_clear();
            match result {
                Ok(built) => {
                    print_diags(&built.warnings);
                    if timings {
                        eprintln!("timings:\n{}", built.timings);
                    }
                    eprintln!(
                        "dossier: wrote {} files to {} in {}, {} warning(s)",
                        built.pages,
                        built.out.display(),
                        secs(started),
                        built.warnings.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(f) => report(f),
            }
        }
        Command::Check => {
            let started = Instant::now();
            match dossier::check(&cli.root) {
                Ok(warnings) => {
                    print_diags(&warnings);
                    eprintln!(
                        "dossier: checked every page and link in {}: no errors, {} warning(s)",
                        secs(started),
                        warnings.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(f) => report(f),
            }
        }
        Command::New { what: NewWhat::Article { title } } => match dossier::scaffold::new_article(&cli.root, &title) {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Import { src, drafts, force } => {
            let started = Instant::now();
            let opts = dossier::import::Options { drafts, force };
            match dossier::import::import(&src, &cli.root, &opts) {
                Ok(r) => {
                    print_diags(&r.diagnostics);
                    let reasons: Vec<String> = r.failed_by_reason.iter().map(|(k, n)| format!("{n} {k}")).collect();
                    eprintln!(
                        "dossier: imported {} articles and {} new topics in {}; skipped {} drafts and {} section pages; {} files failed{}",
                        r.articles,
                        r.topics,
                        secs(started),
                        r.drafts_skipped,
                        r.sections_skipped,
                        r.failed(),
                        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
                    );
                    if r.failed() > 0 {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve { port } => {
            let result = dossier::serve::serve(&cli.root, port, |addr, summary| {
                println!("dossier: serving http://{addr}/ ({summary}); watching for changes, Ctrl-C stops");
                let _ = std::io::Write::flush(&mut std::io::stdout());
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(f) => report(f),
            }
        }
        Command::Pdf { id, out } => {
            let t = std::time::Instant::now();
            match dossier::pdf::pdf(&cli.root, id.as_deref(), out.as_deref()) {
                Ok(path) => {
                    eprintln!("dossier: wrote {} in {:.1} s", path.display(), t.elapsed().as_secs_f64());
                    ExitCode::SUCCESS
                }
                Err(f) => report(f),
            }
        }
        Command::Init { dir } => match dossier::scaffold::init(&dir) {
            Ok(()) => {
                println!(
                    "created a dossier in {}; build it with: dossier build --root {}",
                    dir.display(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
