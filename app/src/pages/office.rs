//! The virtual office: a map of rooms with who is inside, the open lobby,
//! and the workspace's channels. Updates live as people walk around.

use crate::api::office::{load_office, walk_into, walk_out};
use crate::components::avatar::Avatar;
use crate::components::build_mode::{BuildToolbar, Builder, RoomBuildControls, room_grip};
use crate::components::conference::Conference;
use crate::components::error_panel::ErrorPanel;
use crate::components::form::ErrorLine;
use crate::components::guest_requests::{GuestRequests, KnockBadge};
use crate::components::invite::InviteButton;
use crate::components::sidebar::ChannelSidebar;
use crate::components::top_bar::TopBar;
use crate::error::AppError;
use crate::json::load;
use crate::live_state::LiveState;
use crate::model::ConferenceId;
use crate::model::layout::Place;
use crate::model::{MAP_HEIGHT, MAP_WIDTH, MemberId, Office, Presence, Room, RoomId};
use crate::protocol::guest::{GuestInside, RoomGuests};
use crate::protocol::upsert;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn OfficePage() -> impl IntoView {
    let office = load(|| (), |_| load_office());
    view! {
        <Title text="Office" />
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match office.await {
                    Ok(office) => view! { <OfficeView office /> }.into_any(),
                    Err(AppError::NotSignedIn) => view! { <Redirect path="/signin" /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn OfficeView(office: Office) -> impl IntoView {
    let Office { workspace_name, me, rooms, channels, people, inboxes, can_build, .. } = office;
    let live_state = LiveState::new(people, channels, inboxes);
    live_state.rooms.set(rooms);
    let LiveState { people, waiting, inboxes, live, calls, channels, rooms, placing, unread, .. } = live_state;
    let builder = Builder { on: RwSignal::new(false), rooms, error: RwSignal::new(None), placing };
    let me_id = me.id;
    let my_room = Memo::new(move |_| people.with(|list| room_of(list, me_id)));
    let walk_error = RwSignal::new(None::<AppError>);
    // While in a room the call fills the page; the map is one click away.
    let show_map = RwSignal::new(false);
    let room_names = Signal::derive(move || {
        rooms.with(|list| list.iter().map(|r| (r.id, r.name.clone())).collect::<std::collections::HashMap<_, _>>())
    });
    live_state.listen(me_id);
    // Escape leaves build mode, wherever the focus is.
    #[cfg(feature = "hydrate")]
    {
        let listener = window_event_listener(leptos::ev::keydown, move |event| {
            if event.key() == "Escape" && builder.on.get_untracked() {
                builder.on.set(false);
            }
        });
        on_cleanup(move || listener.remove());
    }

    let walk = Callback::new(move |room: Option<RoomId>| {
        spawn_local(async move {
            let result = match room {
                Some(room) => walk_into(room).await,
                None => walk_out().await,
            };
            match result {
                Ok(presence) => {
                    walk_error.set(None);
                    show_map.set(false);
                    people.update(|list| upsert(list, presence));
                }
                Err(error) => walk_error.set(Some(error)),
            }
        });
    });

    view! {
        <div class="app-shell">
            <TopBar workspace_name me />
            <ChannelSidebar channels inboxes calls unread />
            <GuestRequests waiting my_room room_names />
            <main
                class="office"
                aria-labelledby="office-title"
                data-live=move || match live.get() {
                    None => "connecting",
                    Some(true) => "connected",
                    Some(false) => "reconnecting",
                }
            >
                <div class="office-heading">
                    <h1 id="office-title">"Office"</h1>
                    <p class="live-status" role="status">
                        {move || {
                            if live.get() == Some(false) { "Reconnecting… the map may be out of date." } else { "" }
                        }}
                    </p>
                    <Show when=move || can_build && !builder.on.get()>
                        <button
                            class="quiet small build-toggle"
                            on:click=move |_| {
                                builder.on.set(true);
                                show_map.set(true);
                            }
                        >
                            "Build mode"
                        </button>
                    </Show>
                </div>
                <ErrorLine error=walk_error />
                <Show when=move || builder.on.get()>
                    <BuildToolbar builder />
                </Show>
                <ErrorLine error=builder.error />
                {move || {
                    my_room
                        .get()
                        .map(|room| {
                            // The name is followed, not read here: a change to the
                            // map (a room renamed or moved) must not leave the call.
                            let title = Signal::derive(move || {
                                room_names.with(|names| names.get(&room).cloned()).unwrap_or_default()
                            });
                            view! {
                                <div class="call-area" hidden=move || show_map.get()>
                                    <Conference
                                        conference=ConferenceId::Room(room)
                                        title
                                        on_hang_up=Callback::new(move |_| walk.run(None))
                                    >
                                        {move || view! { <InviteButton room room_name=title.get() class="on-dark" /> }}
                                    </Conference>
                                </div>
                                <button class="quiet map-toggle" on:click=move |_| show_map.update(|v| *v = !*v)>
                                    {move || if show_map.get() { "Back to the call" } else { "Show the office map" }}
                                </button>
                            }
                        })
                }}
                <div
                    class="map"
                    class:building=move || builder.on.get()
                    hidden=move || my_room.get().is_some() && !show_map.get()
                    style=format!("aspect-ratio: {MAP_WIDTH} / {MAP_HEIGHT}")
                >
                    // By id alone: a room moved, resized or renamed keeps its card
                    // (which follows the map), so a save in flight on it (build
                    // mode's rename) still finds the card when it is answered.
                    <For each=move || rooms.get() key=|room| room.id let(room)>
                        <RoomCard room people waiting my_room walk builder />
                    </For>
                </div>
                <Lobby people my_room walk />
            </main>
        </div>
    }
    .into_any()
}

fn room_of(people: &[Presence], member: MemberId) -> Option<RoomId> {
    people.iter().find(|p| p.member.id == member).and_then(|p| p.room)
}

#[component]
fn RoomCard(
    room: Room,
    people: RwSignal<Vec<Presence>>,
    waiting: RwSignal<Vec<RoomGuests>>,
    my_room: Memo<Option<RoomId>>,
    walk: Callback<Option<RoomId>>,
    builder: Builder,
) -> impl IntoView {
    let first_place = Place::of(&room);
    let Room { id, name: first_name, .. } = room;
    // Where the room is: as the map has it, or where it is being dragged.
    let saved = Signal::derive(move || {
        builder.rooms.with(|rooms| rooms.iter().find(|r| r.id == id).map(Place::of)).unwrap_or(first_place)
    });
    // Its name as the map has it: the card stays when the room is renamed.
    let name = Memo::new(move |_| {
        let now = builder.rooms.with(|rooms| rooms.iter().find(|r| r.id == id).map(|r| r.name.clone()));
        now.unwrap_or_else(|| first_name.clone())
    });
    let grip = room_grip(builder, id, saved);
    let draft = grip.draft;
    let place = move || {
        let Place { x, y, width, height } = draft.get().unwrap_or_else(|| saved.get());
        format!(
            "left: {}%; top: {}%; width: {}%; height: {}%",
            x as f64 * 100.0 / MAP_WIDTH as f64,
            y as f64 * 100.0 / MAP_HEIGHT as f64,
            width as f64 * 100.0 / MAP_WIDTH as f64,
            height as f64 * 100.0 / MAP_HEIGHT as f64,
        )
    };
    let on = builder.on;
    let here = move || waiting.with(|rooms| rooms.iter().find(|r| r.room == id).cloned());
    let knocking = Signal::derive(move || here().map(|r| r.waiting).unwrap_or_default());
    let guests_inside = Signal::derive(move || here().map(|r| r.inside).unwrap_or_default());
    let title_id = format!("room-{id}-title");
    let inside = move || my_room.get() == Some(id);
    let occupants = move || people.with(|list| list.iter().filter(|p| p.room == Some(id)).cloned().collect::<Vec<_>>());
    let heading_id = title_id.clone();
    let go: Callback<()> = Callback::new(move |_| walk.run(Some(id)));
    view! {
        <section
            class="room"
            class:room-mine=inside
            class:dragging=move || draft.get().is_some()
            style=place
            aria-labelledby=title_id
            aria-describedby=move || on.get().then_some("build-hint")
            data-room-id=id.0
            tabindex=move || on.get().then_some("0")
            on:pointerdown=move |e| grip.down.run(e)
            on:pointermove=move |e| grip.moved.run(e)
            on:pointerup=move |e| grip.up.run(e)
            on:pointercancel=move |e| grip.up.run(e)
            on:keydown=move |e| grip.key.run(e)
        >
            <header class="room-title-bar">
                <h2 id=heading_id>{move || name.get()}</h2>
                <span class="room-count" aria-label=move || format!("{} inside", occupants().len())>
                    {move || occupants().len()}
                </span>
                // These two take the name as fixed text: drawn anew under a new one.
                {move || view! { <KnockBadge guests=knocking room=id room_name=name.get() go /> }}
                <div class="room-actions">
                    <Show when=inside>
                        {move || view! { <InviteButton room=id room_name=name.get() /> }}
                    </Show>
                </div>
            </header>
            <Show when=move || on.get()>
                <RoomBuildControls builder room=id name />
            </Show>
            <OccupantList
                label=Signal::derive(move || format!("People in {}", name.get()))
                people=Signal::derive(occupants)
                guests=guests_inside
            />
            <div class="room-footer">
                {move || {
                    if inside() {
                        view! {
                            <button class="quiet" on:click=move |_| walk.run(None)>
                                "Leave room"
                            </button>
                        }
                            .into_any()
                    } else {
                        let label = format!("Enter {}", name.get());
                        view! {
                            <button class="primary small" aria-label=label on:click=move |_| walk.run(Some(id))>
                                "Enter"
                            </button>
                        }
                            .into_any()
                    }
                }}
            </div>
        </section>
    }
    .into_any()
}

/// The people in one place, as avatars with names, and the guests let in
/// there, marked as guests; updates as they move.
#[component]
fn OccupantList(
    #[prop(into)] label: Signal<String>,
    people: Signal<Vec<Presence>>,
    #[prop(optional)] guests: Option<Signal<Vec<GuestInside>>>,
) -> impl IntoView {
    let guests = move || guests.map(|g| g.get()).unwrap_or_default();
    view! {
        <ul class="occupants" aria-label=move || label.get()>
            // Drawn whole when someone comes or goes: a keyed list is code
            // of its own per item type in every download.
            {move || {
                people
                    .get()
                    .into_iter()
                    .map(|person| {
                        view! {
                            <li class="occupant">
                                <Avatar member=person.member.clone() />
                                <span class="occupant-name">{person.member.name.clone()}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
            {move || {
                guests()
                    .into_iter()
                    .map(|guest| {
                        view! {
                            <li class="occupant">
                                <span class="avatar guest-avatar" aria-hidden="true">"?"</span>
                                <span class="occupant-name">{guest.name.clone()}</span>
                                <span class="guest-tag">"Guest"</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
    .into_any()
}

/// Everyone online who is not in a room.
#[component]
fn Lobby(
    people: RwSignal<Vec<Presence>>,
    my_room: Memo<Option<RoomId>>,
    walk: Callback<Option<RoomId>>,
) -> impl IntoView {
    let in_lobby = move || people.with(|list| list.iter().filter(|p| p.room.is_none()).cloned().collect::<Vec<_>>());
    view! {
        <section class="lobby" aria-labelledby="lobby-title">
            <header class="lobby-header">
                <h2 id="lobby-title">"Open lobby"</h2>
                <Show when=move || my_room.get().is_some()>
                    <button class="quiet" on:click=move |_| walk.run(None)>"Step out to the lobby"</button>
                </Show>
            </header>
            <OccupantList label="People in the open lobby".to_string() people=Signal::derive(in_lobby) />
            <Show when=move || in_lobby().is_empty()>
                <p class="muted small">"Nobody is in the lobby."</p>
            </Show>
        </section>
    }
    .into_any()
}
