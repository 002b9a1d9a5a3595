//! Build mode on the office map: the toolbar (a new room by name, placed
//! in the first free spot; Done), and each room's controls (drag to move,
//! drag the corner to resize, arrow keys to move, Shift with arrow keys to
//! resize, Rename, Delete). Every change is saved as it is made; the map's
//! rules are checked here first (`model::layout`) and decided by the
//! server, whose refusal is shown and the room put back.

use crate::api::build::{create_room, delete_room, place_room, rename_room};
use crate::components::confirm::ConfirmButton;
use crate::components::rename::InlineRename;
use crate::error::AppError;
use crate::model::layout::{KEY_STEP, Place, free_spot, place_problem};
use crate::model::{Room, RoomId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// What build mode shares between the toolbar and the rooms.
#[derive(Clone, Copy)]
pub struct Builder {
    pub on: RwSignal<bool>,
    pub rooms: RwSignal<Vec<Room>>,
    /// The last refusal, shown above the map.
    pub error: RwSignal<Option<AppError>>,
    /// Rooms with a save in flight, each with the newest place made
    /// (sent when that save is answered, if it is another).
    pub placing: StoredValue<HashMap<RoomId, Place>>,
}

impl Builder {
    /// Saves a room's new place; the map shows it at once, and goes back
    /// to the last saved place if the server refuses. One save per room is
    /// in flight: places made meanwhile (a held arrow key) wait, and only
    /// the newest is sent.
    pub fn place(self, room: RoomId, place: Place) {
        let before = self.rooms.with_untracked(|rooms| rooms.iter().find(|r| r.id == room).cloned());
        let Some(before) = before else { return };
        if Place::of(&before) == place {
            return;
        }
        let problem = self.rooms.with_untracked(|rooms| place_problem(place, rooms, Some(room)));
        if let Some(problem) = problem {
            self.error.set(Some(AppError::invalid("place", problem)));
            return;
        }
        self.set_place(room, place);
        let in_flight = self.placing.try_update_value(|placing| placing.insert(room, place).is_some());
        if in_flight != Some(false) {
            return;
        }
        spawn_local(async move {
            let (mut saved, mut next) = (Place::of(&before), place);
            loop {
                if let Err(problem) = place_room(room, next.x, next.y, next.width, next.height).await {
                    self.placing.try_update_value(|placing| placing.remove(&room));
                    self.set_place(room, saved);
                    self.error.set(Some(problem));
                    return;
                }
                saved = next;
                self.error.set(None);
                let newer = self.placing.try_update_value(|placing| {
                    let newer = placing.get(&room).copied().filter(|newest| *newest != next);
                    if newer.is_none() {
                        placing.remove(&room);
                    }
                    newer
                });
                match newer.flatten() {
                    Some(newer) => next = newer,
                    None => return,
                }
            }
        });
    }

    fn set_place(self, room: RoomId, place: Place) {
        self.rooms.update(|rooms| {
            if let Some(found) = rooms.iter_mut().find(|r| r.id == room) {
                (found.x, found.y, found.width, found.height) = (place.x, place.y, place.width, place.height);
            }
        });
    }
}

/// Above the map while building: a new room, how to build, and Done.
#[component]
pub fn BuildToolbar(builder: Builder) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(spot) = builder.rooms.with_untracked(|rooms| free_spot(rooms)) else {
            builder
                .error
                .set(Some(AppError::invalid("place", "The map is full: make a room smaller or delete one first.")));
            return;
        };
        let wanted = name.get_untracked();
        spawn_local(async move {
            match create_room(wanted, spot.x, spot.y, spot.width, spot.height).await {
                Ok(room) => {
                    builder.error.set(None);
                    name.set(String::new());
                    builder.rooms.update(|rooms| {
                        if !rooms.iter().any(|r| r.id == room.id) {
                            rooms.push(room);
                        }
                    });
                }
                Err(problem) => builder.error.set(Some(problem)),
            }
        });
    };
    view! {
        <div class="build-toolbar" role="toolbar" aria-label="Build mode">
            <form class="inline-form" on:submit=add>
                <label for="new-room-name">"New room"</label>
                <input
                    id="new-room-name"
                    type="text"
                    maxlength="40"
                    placeholder="Name"
                    prop:value=move || name.get()
                    on:input=move |e| name.set(event_target_value(&e))
                />
                <button type="submit" class="small">"Add room"</button>
            </form>
            <p class="muted small build-hint" id="build-hint">
                "Drag a room to move it, its corner to resize it. On a focused room, arrow keys move it and Shift with arrow keys resizes it. Changes are saved as you make them."
            </p>
            <button class="primary small" on:click=move |_| builder.on.set(false)>"Done"</button>
        </div>
    }
}

/// A drag under way: where the pointer started, and the room's place then.
#[derive(Clone, Copy)]
struct Drag {
    from: (f64, f64),
    start: Place,
    resizing: bool,
    /// Map units per screen pixel.
    scale: f64,
}

/// What a room gets for build mode: its draft place while dragged, and its
/// pointer and keyboard handlers.
#[derive(Clone, Copy)]
pub struct RoomGrip {
    /// Where the room shows while it is dragged.
    pub draft: RwSignal<Option<Place>>,
    pub down: Callback<leptos::ev::PointerEvent>,
    pub moved: Callback<leptos::ev::PointerEvent>,
    pub up: Callback<leptos::ev::PointerEvent>,
    pub key: Callback<leptos::ev::KeyboardEvent>,
}

/// Pointer and keyboard handling of one room in build mode.
pub fn room_grip(builder: Builder, room: RoomId, place: Signal<Place>) -> RoomGrip {
    let draft = RwSignal::new(None::<Place>);
    let drag = StoredValue::new(None::<Drag>);
    let down = move |event: leptos::ev::PointerEvent| {
        if !builder.on.get_untracked() || event.button() != 0 {
            return;
        }
        let Some((resizing, scale)) = grab(&event) else { return };
        event.prevent_default();
        drag.set_value(Some(Drag {
            from: (f64::from(event.client_x()), f64::from(event.client_y())),
            start: place.get_untracked(),
            resizing,
            scale,
        }));
    };
    let moved = move |event: leptos::ev::PointerEvent| {
        let Some(active) = drag.get_value() else { return };
        // Whole steps of ten map units: rooms line up.
        let step = |pixels: f64| ((pixels * active.scale / 10.0).round() as i64) * 10;
        let dx = step(f64::from(event.client_x()) - active.from.0);
        let dy = step(f64::from(event.client_y()) - active.from.1);
        let next = if active.resizing { active.start.resized(dx, dy) } else { active.start.moved(dx, dy) };
        draft.set(Some(next));
    };
    let up = move |_event: leptos::ev::PointerEvent| {
        if drag.get_value().is_none() {
            return;
        }
        drag.set_value(None);
        if let Some(place) = draft.get_untracked() {
            builder.place(room, place);
        }
        draft.set(None);
    };
    let key = move |event: leptos::ev::KeyboardEvent| {
        if !builder.on.get_untracked() {
            return;
        }
        let (dx, dy) = match event.key().as_str() {
            "ArrowLeft" => (-KEY_STEP, 0),
            "ArrowRight" => (KEY_STEP, 0),
            "ArrowUp" => (0, -KEY_STEP),
            "ArrowDown" => (0, KEY_STEP),
            _ => return,
        };
        // Only the room itself, not a button or field inside it.
        if event.target() != event.current_target() {
            return;
        }
        event.prevent_default();
        let now = place.get_untracked();
        let next = if event.shift_key() { now.resized(dx, dy) } else { now.moved(dx, dy) };
        builder.place(room, next);
    };
    RoomGrip {
        draft,
        down: Callback::new(down),
        moved: Callback::new(moved),
        up: Callback::new(up),
        key: Callback::new(key),
    }
}

/// Takes hold of the room under the pointer (not of a button or field in
/// it): whether the resize corner was taken, and map units per pixel.
#[cfg(feature = "hydrate")]
fn grab(event: &leptos::ev::PointerEvent) -> Option<(bool, f64)> {
    use leptos::wasm_bindgen::JsCast;
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    if target.closest("button, input, a, form").ok().flatten().is_some() {
        return None;
    }
    let map = target.closest(".map").ok().flatten()?;
    let width = map.get_bounding_client_rect().width();
    if width <= 0.0 {
        return None;
    }
    let _ = target.set_pointer_capture(event.pointer_id());
    Some((target.class_list().contains("resize-handle"), crate::model::MAP_WIDTH as f64 / width))
}

#[cfg(not(feature = "hydrate"))]
fn grab(_event: &leptos::ev::PointerEvent) -> Option<(bool, f64)> {
    None
}

/// A room's Rename and Delete while building. They stay while the room is
/// renamed: `name` follows the map, and a rename's answer finds its form.
#[component]
pub fn RoomBuildControls(builder: Builder, room: RoomId, #[prop(into)] name: Signal<String>) -> impl IntoView {
    let delete = Callback::new(move |_| {
        spawn_local(async move {
            match delete_room(room).await {
                Ok(()) => {
                    builder.error.set(None);
                    builder.rooms.update(|rooms| rooms.retain(|r| r.id != room));
                }
                Err(problem) => builder.error.set(Some(problem)),
            }
        });
    });
    view! {
        <div class="room-build-controls">
            <InlineRename name save=move |new_name| rename_room(room, new_name) saved=Callback::new(|_| {}) />
            // Drawn anew under a new name (its label is fixed text).
            {move || {
                view! {
                    <ConfirmButton
                        label="Delete"
                        aria_label=format!("Delete {}", name.get())
                        warning="People inside go to the lobby, its call ends, and its guest link stops working."
                        confirm="Delete the room"
                        class="small"
                        on_confirm=delete
                    />
                }
            }}
        </div>
        <span class="resize-handle" aria-hidden="true"></span>
    }
}
