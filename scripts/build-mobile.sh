#!/usr/bin/env bash
# Builds certpin for the phones: an XCFramework for iOS and macOS, and the Android jniLibs.
#
#   scripts/build-mobile.sh ios       # on a Mac with Xcode  -> target/mobile/Certpin.xcframework
#   scripts/build-mobile.sh android   # with the Android NDK -> target/mobile/jniLibs/<abi>/libcertpin_jni.so
#
# It cannot run on this project's CI machines (Debian, no Xcode, no Apple SDK, no NDK): ring's
# C code needs the platform's SDK to compile. `cargo test` only checks that it parses
# (`bash -n`); it was written from the toolchains' documentation, not run here.
#
# iOS needs Xcode (xcodebuild, lipo) and rustup. The XCFramework holds libcertpin.a for
# devices, for the simulator (arm64 + x86_64) and for macOS (arm64 + x86_64), with certpin.h
# and a module map (`import Certpin` in Swift; add examples-objc/ to the app for the
# Objective-C wrapper and the URLSession delegate).
#
# Android needs ANDROID_NDK_HOME (r25 or later), cargo-ndk (`cargo install cargo-ndk`) and a
# JDK (javac -h writes the JNI header). certpin is linked statically into one JNI library per
# ABI, the glue in examples-jni/native; copy target/mobile/jniLibs into app/src/main/ and
# examples-jni/src into the app (see examples-jni/README-android.md).
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/mobile
api=24 # Android minSdk: X509ExtendedTrustManager needs API 24

build() { # build RUST_TARGET...: the release static library for each target
    rustup target add "$@"
    for target in "$@"; do
        cargo build --release --locked --lib --target "$target"
    done
}

ios() {
    build aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin
    rm -rf "$out/apple" "$out/Certpin.xcframework"
    mkdir -p "$out/apple/headers" "$out/apple/ios-simulator" "$out/apple/macos"
    cp include/certpin.h "$out/apple/headers/"
    printf 'module Certpin {\n    header "certpin.h"\n    export *\n}\n' >"$out/apple/headers/module.modulemap"
    # One library per platform: the simulator's and macOS's two architectures joined.
    lipo -create target/aarch64-apple-ios-sim/release/libcertpin.a \
        target/x86_64-apple-ios/release/libcertpin.a -output "$out/apple/ios-simulator/libcertpin.a"
    lipo -create target/aarch64-apple-darwin/release/libcertpin.a \
        target/x86_64-apple-darwin/release/libcertpin.a -output "$out/apple/macos/libcertpin.a"
    xcodebuild -create-xcframework \
        -library target/aarch64-apple-ios/release/libcertpin.a -headers "$out/apple/headers" \
        -library "$out/apple/ios-simulator/libcertpin.a" -headers "$out/apple/headers" \
        -library "$out/apple/macos/libcertpin.a" -headers "$out/apple/headers" \
        -output "$out/Certpin.xcframework"
    echo "built $out/Certpin.xcframework"
}

android() {
    : "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the Android NDK (r25 or later)}"
    local abis=(arm64-v8a armeabi-v7a x86_64)
    local targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
    local clangs=(aarch64-linux-android armv7a-linux-androideabi x86_64-linux-android)
    local host gen
    host=$(uname -s | tr '[:upper:]' '[:lower:]')-x86_64 # the NDK's prebuilt dir: linux- or darwin-x86_64
    gen="$out/jni-gen"

    rustup target add "${targets[@]}"
    cargo ndk --platform "$api" $(printf -- '-t %s ' "${abis[@]}") build --release --locked --lib
    # The JNI header for the glue (dev_certpin_Native.h); jni.h itself is in the NDK's sysroot.
    javac --release 8 -h "$gen" -d "$gen/classes" $(find examples-jni/src -name '*.java')

    for i in "${!abis[@]}"; do
        mkdir -p "$out/jniLibs/${abis[$i]}"
        "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt/$host/bin/${clangs[$i]}$api-clang" \
            -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
            -Iinclude -I"$gen" examples-jni/native/certpin_jni.c \
            "target/${targets[$i]}/release/libcertpin.a" -lm -ldl \
            -Wl,--no-undefined -Wl,--exclude-libs,ALL -Wl,--gc-sections -Wl,-z,max-page-size=16384 \
            -o "$out/jniLibs/${abis[$i]}/libcertpin_jni.so"
    done
    echo "built $out/jniLibs: copy it to app/src/main/jniLibs"
}

case "${1:-}" in
    ios) ios ;;
    android) android ;;
    *)
        echo "usage: $0 ios|android" >&2
        exit 2
        ;;
esac
