//! The small inline icons of card faces and the card dialog: paths drawn in `currentColor`, hidden from
//! screen readers (what they mean is always said in text or an `aria-label` beside them).

use leptos::prelude::*;

fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
            <path fill="currentColor" d=path/>
        </svg>
    }
}

pub fn calendar() -> AnyView {
    icon("M7 2h2v2h6V2h2v2h3a1 1 0 0 1 1 1v15a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h3zm12 8H5v9h14z").into_any()
}

pub fn clock() -> AnyView {
    icon("M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm1 3v5.4l3.5 2.1-1 1.7L11 13.5V7z")
        .into_any()
}

pub fn warning() -> AnyView {
    icon("M12 2 1 21h22L12 2zm0 4.5L19.5 19h-15L12 6.5zM11 10v5h2v-5zm0 6v2h2v-2z").into_any()
}

pub fn check() -> AnyView {
    icon("M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z").into_any()
}

pub fn checklist() -> AnyView {
    icon("M3 5h2v2H3zm4 0h14v2H7zM3 11h2v2H3zm4 0h14v2H7zm-4 6h2v2H3zm4 0h14v2H7z").into_any()
}

pub fn comment() -> AnyView {
    icon("M4 3h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm1 2v10h1v2.2L8.3 15H19V5z")
        .into_any()
}

pub fn description() -> AnyView {
    icon("M4 6h16v2H4zm0 5h16v2H4zm0 5h10v2H4z").into_any()
}
