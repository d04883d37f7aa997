//! Registers the sqlite-vec extension with SQLite, once per process. One of MedAtlas's two
//! `unsafe` blocks (the other is in `embed/threads.rs`).

use std::sync::Once;

static REGISTER: Once = Once::new();

/// Makes `vec0` tables and `vec_*` functions available on every connection opened afterwards.
pub fn register() {
    REGISTER.call_once(|| {
        // SAFETY: `sqlite3_vec_init` is the extension's entry point, compiled from C into this
        // binary; its real signature is SQLite's extension-init signature
        // `int (*)(sqlite3*, char**, const sqlite3_api_routines*)`, which is exactly what
        // `RawAutoExtension` describes. The crate declares it as `fn()` only because it does not
        // depend on SQLite's types, so the transmute changes the declared type, not the function.
        // Registration happens once (guarded by `Once`) before any connection is opened.
        #[allow(unsafe_code)]
        unsafe {
            let init: rusqlite::auto_extension::RawAutoExtension =
                std::mem::transmute(sqlite_vec::sqlite3_vec_init as *const ());
            if let Err(e) = rusqlite::auto_extension::register_auto_extension(init) {
                tracing::error!("could not register sqlite-vec: {e}");
            }
        }
    });
}
