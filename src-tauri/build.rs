fn main() {
    // The manifest and tauri.conf.json sit at the repository root (the Tauri CLI wants them
    // together); the capabilities stay with the rest of the shell in src-tauri/.
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    )
    .expect("tauri build script");
}
