//! Where rooms may go on the office map: inside it, at least a usable
//! size, and never over another room. Shared by the browser (which shows
//! a room where it will land, and finds a free spot for a new one) and the
//! server (which decides).

use super::{MAP_HEIGHT, MAP_WIDTH, Room, RoomId};

/// The smallest room: room for its title bar, a few faces and a button.
pub const MIN_ROOM_WIDTH: i64 = 160;
pub const MIN_ROOM_HEIGHT: i64 = 120;
/// A new room's size, shrunk if the free space is smaller.
pub const NEW_ROOM_WIDTH: i64 = 300;
pub const NEW_ROOM_HEIGHT: i64 = 200;
/// The longest room name.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// How far the arrow keys move (and resize) a room; with Shift, four times.
pub const KEY_STEP: i64 = 10;

/// A room's place on the map, in map units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

impl Place {
    pub fn of(room: &Room) -> Self {
        Place { x: room.x, y: room.y, width: room.width, height: room.height }
    }

    /// Whether it lies on the map and is at least the smallest room.
    pub fn fits_map(self) -> bool {
        self.x >= 0
            && self.y >= 0
            && self.width >= MIN_ROOM_WIDTH
            && self.height >= MIN_ROOM_HEIGHT
            && self.x + self.width <= MAP_WIDTH
            && self.y + self.height <= MAP_HEIGHT
    }

    /// Whether the two share any area (touching edges is fine).
    pub fn overlaps(self, other: Place) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    /// The same size moved by (dx, dy), kept on the map.
    pub fn moved(self, dx: i64, dy: i64) -> Self {
        Place {
            x: (self.x + dx).clamp(0, MAP_WIDTH - self.width),
            y: (self.y + dy).clamp(0, MAP_HEIGHT - self.height),
            ..self
        }
    }

    /// Resized by (dw, dh) from its top-left corner, kept on the map and
    /// at least the smallest room.
    pub fn resized(self, dw: i64, dh: i64) -> Self {
        Place {
            width: (self.width + dw).clamp(MIN_ROOM_WIDTH, MAP_WIDTH - self.x),
            height: (self.height + dh).clamp(MIN_ROOM_HEIGHT, MAP_HEIGHT - self.y),
            ..self
        }
    }
}

/// Why a place is refused: what a person can act on.
pub fn place_problem(place: Place, rooms: &[Room], moving: Option<RoomId>) -> Option<String> {
    if !place.fits_map() {
        return Some(format!("A room must lie on the map and be at least {MIN_ROOM_WIDTH} by {MIN_ROOM_HEIGHT}."));
    }
    rooms
        .iter()
        .filter(|room| Some(room.id) != moving)
        .find(|room| place.overlaps(Place::of(room)))
        .map(|room| format!("Rooms cannot overlap: this would cover {}.", room.name))
}

/// A free spot for a new room, scanning the map in rows: the usual size
/// if it fits anywhere, else the smallest. None when the map is full.
pub fn free_spot(rooms: &[Room]) -> Option<Place> {
    let step = 20;
    for (width, height) in [(NEW_ROOM_WIDTH, NEW_ROOM_HEIGHT), (MIN_ROOM_WIDTH, MIN_ROOM_HEIGHT)] {
        for y in (0..=MAP_HEIGHT - height).step_by(step) {
            for x in (0..=MAP_WIDTH - width).step_by(step) {
                let place = Place { x, y, width, height };
                if place_problem(place, rooms, None).is_none() {
                    return Some(place);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64, x: i64, y: i64, width: i64, height: i64) -> Room {
        Room { id: RoomId(id), name: format!("Room {id}"), x, y, width, height }
    }

    #[test]
    fn rooms_stay_on_the_map_at_a_usable_size_and_apart() {
        let rooms = [room(1, 0, 0, 400, 300)];
        let at = |x, y, width, height| Place { x, y, width, height };
        assert_eq!(place_problem(at(400, 0, 200, 200), &rooms, None), None, "touching is fine");
        assert_eq!(
            place_problem(at(399, 0, 200, 200), &rooms, None).as_deref(),
            Some("Rooms cannot overlap: this would cover Room 1.")
        );
        assert_eq!(place_problem(at(10, 10, 200, 200), &rooms, Some(RoomId(1))), None, "a room never covers itself");
        for outside in [at(-1, 0, 200, 200), at(900, 0, 200, 200), at(0, 500, 200, 200), at(500, 0, 100, 200)] {
            assert!(
                place_problem(outside, &[], None).unwrap().starts_with("A room must lie on the map"),
                "{outside:?}"
            );
        }
    }

    #[test]
    fn moves_and_resizes_stay_on_the_map() {
        let place = Place { x: 900, y: 500, width: 100, height: 100 };
        assert_eq!(place.moved(50, 50), place, "already at the corner");
        assert_eq!(place.moved(-20, 0).x, 880);
        let small = Place { x: 0, y: 0, width: 200, height: 150 };
        assert_eq!(small.resized(-500, -500), Place { width: MIN_ROOM_WIDTH, height: MIN_ROOM_HEIGHT, ..small });
        assert_eq!(small.resized(5000, 5000), Place { width: MAP_WIDTH, height: MAP_HEIGHT, ..small });
    }

    #[test]
    fn a_new_room_goes_where_there_is_space_or_nowhere() {
        let rooms = [room(1, 0, 0, 400, 300)];
        let spot = free_spot(&rooms).unwrap();
        assert!(place_problem(spot, &rooms, None).is_none());
        assert_eq!((spot.width, spot.height), (NEW_ROOM_WIDTH, NEW_ROOM_HEIGHT));
        let full = [room(1, 0, 0, MAP_WIDTH, MAP_HEIGHT)];
        assert_eq!(free_spot(&full), None);
    }
}
