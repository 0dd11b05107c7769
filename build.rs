//! Gives the shared library its SONAME, so that every build of `libcertpin.so` (`cargo build`,
//! `make`, the tests' own builds) is the same file a C program links and the loader finds:
//! `libcertpin.so.<major>` on Linux (and `@rpath/libcertpin.<major>.dylib` as the install name
//! on Apple platforms). Android is left alone: its packager wants `lib<name>.so` exactly.
//!
//! Only the cdylib gets the argument; the staticlib, the rlib and the tests are untouched.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcertpin.so.{major}");
        }
        Ok("macos" | "ios") => {
            println!(
                "cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libcertpin.{major}.dylib"
            );
        }
        _ => {}
    }
    println!("cargo:rerun-if-changed=build.rs");
}
