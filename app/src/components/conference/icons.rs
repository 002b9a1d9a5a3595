//! The few icons the call controls need, as inline SVG (no icon font to load).

use leptos::prelude::*;

macro_rules! icon {
    ($name:ident, $($path:literal),+) => {
        #[component]
        pub fn $name() -> impl IntoView {
            view! {
                <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    $(<path d=$path />)+
                </svg>
            }
        }
    };
}

icon!(Mic, "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z", "M19 11a7 7 0 0 1-14 0", "M12 18v3");
icon!(
    MicOff,
    "M9 9v3a3 3 0 0 0 5.1 2.1",
    "M15 9.3V6a3 3 0 0 0-5.9-.7",
    "M19 11a7 7 0 0 1-1.2 3.9",
    "M5 11a7 7 0 0 0 10.4 6.1",
    "M12 18v3",
    "M3 3l18 18"
);
icon!(Camera, "M15 10l5-3v10l-5-3z", "M4 7h11v10H4z");
icon!(CameraOff, "M15 10l5-3v10l-5-3", "M4 7h3m4 0h4v7", "M4 7v10h11", "M3 3l18 18");
icon!(Screen, "M3 4h18v12H3z", "M8 20h8", "M12 16v4");
icon!(Chat, "M4 5h16v11H8l-4 4z");
icon!(
    People,
    "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
    "M2 21a7 7 0 0 1 14 0",
    "M17 11a3 3 0 1 0 0-6",
    "M22 21a6 6 0 0 0-5-5.9"
);
icon!(HangUp, "M3 15c5-5 13-5 18 0l-2 3-4-1v-3a10 10 0 0 0-6 0v3l-4 1z");
