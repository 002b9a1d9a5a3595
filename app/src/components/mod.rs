//! View pieces used by more than one page.

pub mod attachments;
pub mod avatar;
pub mod build_mode;
pub mod call_schedule;
pub mod channel_conversation;
pub mod channel_details;
pub mod conference;
pub mod confirm;
pub mod conversations;
pub mod copy_link;
pub mod dialog;
pub mod error_panel;
pub mod form;
pub mod guest_requests;
pub mod inbox_overview;
pub mod invite;
pub mod member_page;
pub mod message_search;
pub mod past_calls;
pub mod preview;
pub mod rename;
pub mod sidebar;
pub mod tabs;
pub mod top_bar;
