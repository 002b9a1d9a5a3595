//! The view's handle on the browser call client. On the server (rendering
//! before hydration) there is no call, and every control does nothing.

use crate::call_state::CallState;
use crate::model::ConferenceId;
#[cfg(feature = "hydrate")]
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct ClientHandle {
    #[cfg(feature = "hydrate")]
    client: StoredValue<Option<crate::client::media::call::CallClient>, LocalStorage>,
}

impl ClientHandle {
    /// Starts the call once the page runs in a browser; leaves it when the
    /// view is unmounted.
    pub fn start(conference: ConferenceId, guest_pass: Option<String>, state: CallState) -> Self {
        #[cfg(feature = "hydrate")]
        {
            let client = StoredValue::new_local(None);
            Effect::new(move |_| {
                let call = crate::client::media::call::CallClient::start(conference, guest_pass.as_deref(), state);
                client.set_value(Some(call));
            });
            on_cleanup(move || {
                client.update_value(|client| {
                    if let Some(client) = client.take() {
                        client.hang_up();
                    }
                })
            });
            ClientHandle { client }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (conference, guest_pass, state);
            ClientHandle {}
        }
    }

    #[cfg(feature = "hydrate")]
    fn with(self, action: impl FnOnce(&crate::client::media::call::CallClient)) {
        self.client.with_value(|client| {
            if let Some(client) = client {
                action(client);
            }
        });
    }

    pub fn toggle_mic(self) {
        #[cfg(feature = "hydrate")]
        self.with(|client| client.toggle_mic());
    }

    pub fn toggle_camera(self) {
        #[cfg(feature = "hydrate")]
        self.with(|client| client.toggle_camera());
    }

    pub fn toggle_screen(self) {
        #[cfg(feature = "hydrate")]
        self.with(|client| client.toggle_screen());
    }

    pub fn send_chat(self, text: String) {
        #[cfg(feature = "hydrate")]
        self.with(move |client| client.send_chat(text));
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    }

    pub fn hang_up(self) {
        #[cfg(feature = "hydrate")]
        self.with(|client| client.hang_up());
    }
}
