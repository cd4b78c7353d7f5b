//! Toasts: short messages that tell the user what just happened, above all what went wrong. They live in an
//! aria-live region so screen readers announce them too.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Self {
        Toasts { items: RwSignal::new(Vec::new()), next_id: StoredValue::new(1) }
    }

    pub fn info(&self, text: impl Into<String>) {
        self.push(ToastKind::Info, text.into());
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(ToastKind::Success, text.into());
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(ToastKind::Error, text.into());
    }

    fn push(&self, kind: ToastKind, text: String) {
        let Some(id) = self.next_id.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        self.items.update(|items| {
            // The same message twice in a row (a flapping network) is one toast, not a stack.
            items.retain(|t| t.text != text);
            items.push(Toast { id, kind, text });
            if items.len() > 4 {
                items.remove(0);
            }
        });
        // Errors stay longer: they are the ones people need time to read.
        let ms = if kind == ToastKind::Error { 8000 } else { 4000 };
        let items = self.items;
        set_timeout(move || items.try_update(|v| v.retain(|t| t.id != id)).unwrap_or(()), Duration::from_millis(ms));
    }

    fn dismiss(&self, id: u64) {
        self.items.update(|v| v.retain(|t| t.id != id));
    }
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|t| t.id let:toast>
                <div
                    class="toast"
                    class:toast-error=toast.kind == ToastKind::Error
                    class:toast-success=toast.kind == ToastKind::Success
                    data-testid="toast"
                >
                    <span class="toast-text">{toast.text.clone()}</span>
                    <button class="icon-btn" aria-label="Dismiss" on:click=move |_| toasts.dismiss(toast.id)>
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
