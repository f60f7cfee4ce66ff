// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's GPU compositing costs ~80 MB in the web process (a GL context, software-rendered
    // on VMs and remote desktops) and is behind the blank-window bugs of some GPU drivers, while
    // Warren's tables and forms paint fine on the CPU. Opt back in with WARREN_GPU_COMPOSITING=1.
    // Set before GTK starts and before any thread exists.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WARREN_GPU_COMPOSITING").is_none_or(|v| v != "1")
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    warren_app_lib::run();
}
