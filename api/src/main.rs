//! `casetrail`: the server and its operator commands. Everything from the
//! flags to the exit status is `api::cli`; this is only the entry point.

/// mimalloc serves the server's many small, short-lived allocations
/// (request bodies, JSON values, GraphQL documents) from per-thread pages;
/// under glibc's malloc they cost a fifth of the server's CPU per request
/// (docs/PERFORMANCE.md). Only the binary: the library and its tests keep
/// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
