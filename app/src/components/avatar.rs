use crate::model::MemberSummary;
use leptos::prelude::*;

/// A round badge with a member's initials; the full name is its label.
#[component]
pub fn Avatar(member: MemberSummary) -> impl IntoView {
    // A stable hue per member so people are easy to tell apart at a glance.
    let hue = (member.id.0.unsigned_abs() * 137) % 360;
    view! {
        <span class="avatar" style=format!("--avatar-hue: {hue}") title=member.name.clone() aria-hidden="true">
            {member.initials()}
        </span>
    }
    .into_any()
}
