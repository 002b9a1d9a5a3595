//! The workspace's Files page (`/files`): every file sent in a channel,
//! with who sent it, when, its size and its channel; searchable by name,
//! sorted by any column. Each name downloads the file; each channel opens
//! the message that carries it.

use crate::api::files::list_files;
use crate::components::form::ErrorText;
use crate::components::member_page::WithOffice;
use crate::components::sidebar::ChannelSidebar;
use crate::components::top_bar::TopBar;
use crate::dates;
use crate::json::load;
use crate::live_state::LiveState;
use crate::model::{FileListing, FileOrder, Office, human_size};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FilesPage() -> impl IntoView {
    view! { <WithOffice page=move |office| view! { <FilesShell office /> }.into_any() /> }
}

/// A column and the orders its header switches between (first click:
/// the first).
struct Column {
    label: &'static str,
    orders: [FileOrder; 2],
}

const COLUMNS: [Column; 5] = [
    Column { label: "Name", orders: [FileOrder::Name, FileOrder::Name] },
    Column { label: "Shared by", orders: [FileOrder::Uploader, FileOrder::Uploader] },
    Column { label: "Date", orders: [FileOrder::Newest, FileOrder::Oldest] },
    Column { label: "Size", orders: [FileOrder::Largest, FileOrder::Smallest] },
    Column { label: "Channel", orders: [FileOrder::Channel, FileOrder::Channel] },
];

#[component]
fn FilesShell(office: Office) -> impl IntoView {
    let Office { workspace_name, me, channels, people, inboxes, .. } = office;
    let live = LiveState::new(people, channels, inboxes);
    live.listen(me.id);
    let query = RwSignal::new(String::new());
    let order = RwSignal::new(FileOrder::Newest);
    let listed = load(move || (query.get(), order.get()), |(query, order)| list_files(query, order));
    let header = move |column: &'static Column| {
        let [first, second] = column.orders;
        let sorted = move || order.get() == first || order.get() == second;
        let aria_sort = move || match order.get() {
            o if o == first && first == second => "ascending",
            FileOrder::Newest | FileOrder::Largest if sorted() => "descending",
            _ if sorted() => "ascending",
            _ => "none",
        };
        view! {
            <th scope="col" aria-sort=aria_sort>
                <button
                    type="button"
                    class="quiet sort"
                    on:click=move |_| order.set(if order.get_untracked() == first { second } else { first })
                >
                    {column.label}
                </button>
            </th>
        }
    };
    view! {
        <div class="app-shell">
            <Title text="Files" />
            <TopBar workspace_name me />
            <ChannelSidebar channels=live.channels inboxes=live.inboxes unread=live.unread files_current=true />
            <main class="files-page">
                <h1>"Files"</h1>
                <p class="muted">"Every file shared in the workspace's channels."</p>
                <label class="visually-hidden" for="files-search">"Search files by name"</label>
                <input
                    id="files-search"
                    type="search"
                    placeholder="Search files by name"
                    maxlength="200"
                    prop:value=move || query.get()
                    on:input=move |e| query.set(event_target_value(&e))
                />
                <Transition fallback=|| view! { <p class="muted">"Loading the files…"</p> }>
                    {move || Suspend::new(async move {
                        match listed.await {
                            Ok(files) if files.is_empty() => view! {
                                <p class="muted">
                                    {if query.get_untracked().trim().is_empty() {
                                        "No files yet. Attach one to a message in any channel."
                                    } else {
                                        "No file has that in its name."
                                    }}
                                </p>
                            }
                            .into_any(),
                            Ok(files) => view! {
                                <table class="files-table">
                                    <thead>
                                        <tr>{COLUMNS.iter().map(header).collect_view()}</tr>
                                    </thead>
                                    <tbody>{files.into_iter().map(file_row).collect_view()}</tbody>
                                </table>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorText error /> }.into_any(),
                        }
                    })}
                </Transition>
            </main>
        </div>
    }
}

fn file_row(listing: FileListing) -> impl IntoView {
    let FileListing { file, channel, channel_name, message, uploader_name, uploaded_at } = listing;
    view! {
        <tr>
            <td>
                <a href=file.download_url() download=file.name.clone()>{file.name.clone()}</a>
            </td>
            <td>{uploader_name}</td>
            <td>{dates::time_text(uploaded_at / 1000)}</td>
            <td>{human_size(file.size)}</td>
            <td>
                <a href=format!("/channel/{channel}?message={message}")>{format!("#{channel_name}")}</a>
            </td>
        </tr>
    }
}
