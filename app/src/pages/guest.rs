//! What a guest sees after opening a link: where it leads, a camera and
//! microphone check and their name and email. A room's invite link then
//! shows the waiting screen while they knock, and the room's call or Access
//! Denied; a meeting channel's external link is a lobby that joins the
//! channel's call straight away.

use crate::api::invites::open_invite;
use crate::components::conference::Conference;
use crate::components::error_panel::ErrorPanel;
use crate::components::form::{Field, FormError};
use crate::components::preview::{CameraPreview, PreviewState};
use crate::error::AppError;
use crate::json::load;
use crate::model::ConferenceId;
use crate::model::GuestWelcome;
use crate::protocol::guest::GuestEvent;
use crate::validate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GuestWelcomePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = load(token, open_invite);
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match invite.await {
                    Ok(welcome) => view! { <GuestVisit welcome token=token() /> }.into_any(),
                    Err(AppError::InviteInvalid) => view! { <InvalidLink /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// The link leads nowhere any more: replaced, turned off, or its room was
/// deleted (`why` says which).
#[component]
fn InvalidLink(#[prop(default = AppError::InviteInvalid)] why: AppError) -> impl IntoView {
    let heading = match why {
        AppError::RoomGone => "This room no longer exists",
        _ => "This link is no longer valid",
    };
    view! {
        <Title text=heading />
        <main class="centered-page">
            <section class="card narrow" role="alert">
                <div class="brand-mark large" aria-hidden="true"></div>
                <h1>{heading}</h1>
                <p>{why.to_string()}</p>
            </section>
        </main>
    }
    .into_any()
}

/// Where the guest is in their visit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Checking camera and microphone, filling in the form.
    Welcome,
    /// Knocked; until the server confirms, "asking", then "waiting".
    Knocking {
        heard: bool,
    },
    InCall {
        pass: String,
        conference: ConferenceId,
    },
    Denied,
    /// The link died between opening the page and knocking.
    /// The link died while they were here (`AppError::InviteInvalid` or
    /// `RoomGone`).
    LinkDead(AppError),
}

/// The open knock, if any (browser only).
#[derive(Clone, Copy)]
struct KnockHandle {
    #[cfg(feature = "hydrate")]
    connection: StoredValue<Option<crate::client::knock::KnockConnection>, LocalStorage>,
}

impl KnockHandle {
    fn new() -> Self {
        #[cfg(feature = "hydrate")]
        {
            let handle = KnockHandle { connection: StoredValue::new_local(None) };
            on_cleanup(move || handle.close());
            handle
        }
        #[cfg(not(feature = "hydrate"))]
        KnockHandle {}
    }

    /// Knocks; every answer goes to `on_event`, a dropped connection to `on_lost`.
    fn knock(
        self,
        token: &str,
        name: String,
        email: String,
        knows_transcribed: bool,
        on_event: impl Fn(GuestEvent) + 'static,
        on_lost: impl Fn() + 'static,
    ) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            let knock = crate::protocol::guest::GuestRequest::Knock { name, email, knows_transcribed };
            let opened = crate::client::knock::KnockConnection::open(token, knock, on_event, on_lost)?;
            self.connection.update_value(|c| {
                if let Some(old) = c.replace(opened) {
                    old.close();
                }
            });
            Ok(())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (token, name, email, knows_transcribed, on_event, on_lost);
            Err("Joining needs JavaScript.".into())
        }
    }

    /// Withdraws the knock or leaves the room.
    fn close(self) {
        #[cfg(feature = "hydrate")]
        self.connection.update_value(|c| c.take().into_iter().for_each(|c| c.close()));
    }
}

#[component]
fn GuestVisit(welcome: GuestWelcome, token: String) -> impl IntoView {
    let GuestWelcome { workspace_name, place_name: room_name, conference, transcribed } = welcome;
    // Said in the lobby; turned on if the server says the call has started
    // to be transcribed since the page loaded.
    let transcribed = RwSignal::new(transcribed);
    // A meeting channel's lobby joins at once; a room's welcome page knocks.
    let at_channel = matches!(conference, ConferenceId::Channel(_));
    let place = if at_channel { "call" } else { "room" };
    let stage = RwSignal::new(Stage::Welcome);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    // Why the guest is back on the welcome page, if not by choice.
    let notice = RwSignal::new(None::<String>);
    let handle = KnockHandle::new();

    let back_to_welcome = move |why: Option<&str>| {
        notice.set(why.map(str::to_string));
        stage.set(Stage::Welcome);
    };
    let on_event = move |event: GuestEvent| match event {
        GuestEvent::Waiting => stage.set(Stage::Knocking { heard: true }),
        GuestEvent::Admitted { pass, conference } => stage.set(Stage::InCall { pass, conference }),
        GuestEvent::Denied => stage.set(Stage::Denied),
        GuestEvent::Removed => back_to_welcome(Some(&format!("You were removed from the {place}."))),
        GuestEvent::Refused { error: error @ (AppError::InviteInvalid | AppError::RoomGone) } => {
            stage.set(Stage::LinkDead(error))
        }
        GuestEvent::Refused { error: refused } => {
            if refused == AppError::TranscriptionTurnedOn {
                transcribed.set(true);
            }
            error.set(Some(refused));
            back_to_welcome(None);
        }
    };
    let on_lost = move || {
        let why = match stage.get_untracked() {
            Stage::InCall { .. } => {
                format!("The connection was lost, so you left the {place}. Join again to go back in.")
            }
            _ => "The connection was lost before you got in. Try again when you are back online.".to_string(),
        };
        back_to_welcome(Some(&why));
    };
    let submit = {
        let token = token.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let typed_email = email.get_untracked();
            let checked = validate::name("name", "Your name", &name.get_untracked()).and_then(|name| {
                if at_channel && typed_email.trim().is_empty() {
                    return Ok((name, String::new()));
                }
                Ok((name, validate::email("email", &typed_email)?))
            });
            match checked {
                Err(problem) => error.set(Some(problem)),
                Ok((name, email)) => {
                    error.set(None);
                    notice.set(None);
                    match handle.knock(&token, name, email, transcribed.get_untracked(), on_event, on_lost) {
                        Ok(()) => stage.set(Stage::Knocking { heard: false }),
                        Err(problem) => error.set(Some(AppError::Unreachable(problem))),
                    }
                }
            }
        }
    };
    let cancel = move |_| {
        handle.close();
        back_to_welcome(None);
    };

    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));
    let room_title = room_name.clone();
    // The right-hand card: the form, the waiting screen or Access Denied.
    let panel = {
        let room_name = room_name.clone();
        move || match stage.get() {
            Stage::Knocking { .. } if at_channel => view! {
                <div class="waiting stack" role="status" aria-live="polite">
                    <div class="waiting-pulse" aria-hidden="true"></div>
                    <h2>"Joining the call…"</h2>
                </div>
            }
            .into_any(),
            Stage::Knocking { heard } => {
                view! { <WaitingCard heard room_name=room_name.clone() name email on_cancel=cancel /> }.into_any()
            }
            Stage::Denied => view! {
                <div class="stack" role="alert">
                    <h2>"Access Denied"</h2>
                    <p>
                        "The people in " {room_name.clone()}
                        " did not let you in this time. You can try again later."
                    </p>
                    <button class="primary" on:click=move |_| back_to_welcome(None)>
                        "Try again"
                    </button>
                </div>
            }
            .into_any(),
            _ => view! {
                <p class="muted small">
                    {if at_channel {
                        "Check your camera and microphone, and tell the others your name. Then join the call."
                    } else {
                        "Check your camera and microphone, then tell the people inside who you are."
                    }}
                </p>
                <Show when=move || notice.get().is_some()>
                    <p class="notice" role="status">{move || notice.get()}</p>
                </Show>
                <form class="stack" novalidate=true on:submit=submit.clone()>
                    <FormError error />
                    <Field label="Your Name" name="name" autocomplete="name" error bind=name />
                    <Field
                        label=if at_channel { "Email Address (optional)" } else { "Email Address" }
                        name="email"
                        kind="email"
                        autocomplete="email"
                        error
                        bind=email
                    />
                    {at_channel
                        .then(|| {
                            view! {
                                <p class="muted small">
                                    "Only for the meeting notes, if the hosts send them after the call."
                                </p>
                            }
                        })}
                    // Until the page is interactive a click would post the
                    // form away (and what was typed with it); the button
                    // waits for it instead, while typing already works.
                    <button type="submit" class="primary" disabled=move || !interactive.get()>
                        {if at_channel { "Join" } else { "Continue to Join" }}
                    </button>
                </form>
            }
            .into_any(),
        }
    };
    view! {
        <Title text=format!("Join {room_name}") />
        {move || match stage.get() {
            Stage::InCall { pass, conference } => {
                view! {
                    <main class="guest-call">
                        <Conference
                            conference
                            title=room_title.clone()
                            guest_pass=pass
                            on_hang_up=Callback::new(move |_| {
                                handle.close();
                                back_to_welcome(
                                    Some(&format!("You left the {place}. You can join again with the same link.")),
                                );
                            })
                        />
                    </main>
                }
                    .into_any()
            }
            Stage::LinkDead(why) => view! { <InvalidLink why /> }.into_any(),
            _ => ().into_any(),
        }}
        <Show when=move || matches!(stage.get(), Stage::Welcome | Stage::Knocking { .. } | Stage::Denied)>
            <main class="guest-welcome">
                <section class="guest-preview" aria-label="Camera and microphone check">
                    <CameraPreview state=PreviewState::new() />
                </section>
                <section class="guest-form card" aria-labelledby="guest-title">
                    <p class="muted">{workspace_name.clone()}</p>
                    <h1 id="guest-title">{room_name.clone()}</h1>
                    <Show when=move || transcribed.get()>
                        <p class="transcription-on in-lobby" role="note">
                            <span class="recording-dot" aria-hidden="true"></span>
                            "Transcription on: what everyone says in this call is written down."
                        </p>
                    </Show>
                    {panel.clone()}
                </section>
            </main>
        </Show>
    }
    .into_any()
}

/// "Waiting for approval": a pulsing light, who they asked as, and Cancel.
#[component]
fn WaitingCard(
    heard: bool,
    room_name: String,
    name: RwSignal<String>,
    email: RwSignal<String>,
    on_cancel: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    view! {
        <div class="waiting stack" role="status" aria-live="polite">
            <div class="waiting-pulse" aria-hidden="true"></div>
            <h2>{if heard { "Waiting for approval" } else { "Asking to join…" }}</h2>
            <p>"Someone in " {room_name} " will let you in soon."</p>
            <p class="muted small">
                "You asked as " <strong>{move || name.get()}</strong> " (" {move || email.get()} ")."
            </p>
            <button on:click=on_cancel>"Cancel Request"</button>
        </div>
    }
    .into_any()
}
