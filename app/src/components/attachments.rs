//! Files on messages: the composer's tray of files being attached (each
//! uploading with its progress, ready, or refused with why; cancel or
//! remove any), the button and drop target that fill it, and a sent
//! message's files (an image's preview, or the file's name and size, each
//! a download).

use crate::error::AppError;
#[cfg(feature = "hydrate")]
use crate::model::MAX_FILES_PER_MESSAGE;
use crate::model::{FileId, FileInfo, UploadTarget, human_size};
use leptos::prelude::*;

/// One file in the composer's tray.
#[derive(Debug, Clone, PartialEq)]
struct Attaching {
    /// This page's own number for it.
    local: u32,
    name: String,
    size: i64,
    state: AttachState,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum AttachState {
    /// How much has gone, in percent (whole numbers: see `human_size`).
    Uploading(u32),
    Ready(FileInfo),
    Refused(AppError),
}

/// The files a message being written will carry.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Attachments {
    target: UploadTarget,
    max_file_bytes: u64,
    tray: RwSignal<Vec<Attaching>>,
    next: StoredValue<u32>,
    /// The uploads on their way, by their tray number (browser objects).
    #[cfg(feature = "hydrate")]
    uploads: StoredValue<Vec<(u32, crate::client::upload::FileUpload)>, LocalStorage>,
}

impl Attachments {
    pub fn new(target: UploadTarget, max_file_bytes: u64) -> Self {
        Attachments {
            target,
            max_file_bytes,
            tray: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
            #[cfg(feature = "hydrate")]
            uploads: StoredValue::new_local(Vec::new()),
        }
    }

    /// Starts uploading each of `files` (from the button or a drop).
    #[cfg(feature = "hydrate")]
    pub fn add(&self, files: web_sys::FileList) {
        for index in 0..files.length() {
            let Some(file) = files.item(index) else { continue };
            let local = self.next.get_value();
            self.next.set_value(local + 1);
            let size = file.size() as i64;
            let full = self.tray.with_untracked(|tray| tray.len()) >= MAX_FILES_PER_MESSAGE;
            let refused = if full {
                Some(AppError::invalid(
                    "files",
                    format!(
                        "A message carries at most {MAX_FILES_PER_MESSAGE} files; send the rest in another message."
                    ),
                ))
            } else if file.size() > self.max_file_bytes as f64 {
                Some(AppError::FileTooLarge { max_bytes: self.max_file_bytes })
            } else {
                None
            };
            let state = match &refused {
                Some(why) => AttachState::Refused(why.clone()),
                None => AttachState::Uploading(0),
            };
            self.tray.update(|tray| tray.push(Attaching { local, name: file.name(), size, state }));
            if refused.is_some() {
                continue;
            }
            let (tray, uploads) = (self.tray, self.uploads);
            let set = move |state: AttachState| {
                tray.update(|tray| {
                    if let Some(item) = tray.iter_mut().find(|item| item.local == local) {
                        item.state = state;
                    }
                })
            };
            let started = crate::client::upload::FileUpload::start(
                self.target,
                &file,
                move |share| set(AttachState::Uploading((share * 100.0) as u32)),
                move |answer| {
                    set(match answer {
                        Ok(file) => AttachState::Ready(file),
                        Err(why) => AttachState::Refused(why),
                    });
                    // Done: let go of it after this handler returns.
                    request_animation_frame(move || {
                        uploads.update_value(|list| list.retain(|(n, _)| *n != local));
                    });
                },
            );
            match started {
                Ok(upload) => self.uploads.update_value(|list| list.push((local, upload))),
                Err(why) => set(AttachState::Refused(why)),
            }
        }
    }

    /// Takes a file out of the tray: stops its upload, or lets the server
    /// forget it.
    fn remove(&self, local: u32) {
        let removed = self.tray.try_update(|tray| {
            let at = tray.iter().position(|item| item.local == local)?;
            Some(tray.remove(at))
        });
        #[cfg(feature = "hydrate")]
        self.uploads.update_value(|list| list.retain(|(n, _)| *n != local));
        if let Some(Some(Attaching { state: AttachState::Ready(file), .. })) = removed {
            leptos::task::spawn_local(async move {
                let _ = crate::api::files::discard_upload(file.id).await;
            });
        }
    }

    /// The files ready to go with the message, or why it cannot go yet.
    pub fn ready(&self) -> Result<Vec<FileInfo>, AppError> {
        self.tray.with_untracked(|tray| {
            let mut ready = Vec::new();
            for item in tray {
                match &item.state {
                    AttachState::Ready(file) => ready.push(file.clone()),
                    AttachState::Uploading(_) => {
                        return Err(AppError::invalid(
                            "files",
                            "Wait for the files to finish uploading, or remove them.",
                        ));
                    }
                    AttachState::Refused(_) => {
                        return Err(AppError::invalid(
                            "files",
                            format!("\u{201c}{}\u{201d} could not be attached: remove it to send.", item.name),
                        ));
                    }
                }
            }
            Ok(ready)
        })
    }

    /// Empties the tray: its files went with a message.
    pub fn clear(&self) {
        self.tray.set(Vec::new());
    }

    /// Puts back files a message could not take (the server refused it).
    pub fn restore(&self, files: Vec<FileInfo>) {
        for file in files {
            let local = self.next.get_value();
            self.next.set_value(local + 1);
            let item = Attaching { local, name: file.name.clone(), size: file.size, state: AttachState::Ready(file) };
            self.tray.update(|tray| tray.push(item));
        }
    }
}

/// The ids of `files`, as a message carries them.
pub fn ids(files: &[FileInfo]) -> Vec<FileId> {
    files.iter().map(|file| file.id).collect()
}

/// "Attach files": opens the file picker (several at once).
#[component]
pub fn AttachButton(attachments: Attachments) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    let picked = move |event: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        if let Some(files) = input.files() {
            attachments.add(files);
        }
        // The same file may be picked again later.
        input.set_value("");
    };
    #[cfg(not(feature = "hydrate"))]
    let picked = move |_: leptos::ev::Event| {
        let _ = attachments;
    };
    view! {
        <label class="button quiet attach">
            <input type="file" multiple class="visually-hidden" on:change=picked />
            "Attach files"
        </label>
    }
}

/// The files a message being written will carry, each with its state.
#[component]
pub fn AttachmentTray(attachments: Attachments) -> impl IntoView {
    view! {
        <Show when=move || attachments.tray.with(|tray| !tray.is_empty())>
            <ul class="attachment-tray" aria-label="Files to send">
                {move || {
                    attachments
                        .tray
                        .get()
                        .into_iter()
                        .map(|item| {
                            let local = item.local;
                            let uploading = matches!(item.state, AttachState::Uploading(_));
                            let (action, what) = if uploading { ("Cancel", "Cancel uploading") } else { ("Remove", "Remove") };
                            let status = match item.state {
                                AttachState::Uploading(share) => view! {
                                    <progress max="100" value=share aria-label=format!("Uploading {}", item.name)></progress>
                                }
                                .into_any(),
                                AttachState::Ready(_) => view! { <span class="muted small">"Ready"</span> }.into_any(),
                                AttachState::Refused(why) => {
                                    view! { <span class="error small" role="alert">{why.to_string()}</span> }.into_any()
                                }
                            };
                            view! {
                                <li class="attaching">
                                    <span class="file-name">{item.name.clone()}</span>
                                    <span class="muted small">{human_size(item.size)}</span>
                                    {status}
                                    <button
                                        type="button"
                                        class="quiet small"
                                        aria-label=format!("{what} {}", item.name)
                                        on:click=move |_| attachments.remove(local)
                                    >
                                        {action}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </Show>
    }
}

/// A sent message's files: images as their preview, others by name and
/// size; each downloads the file.
#[component]
pub fn MessageFiles(files: Vec<FileInfo>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="message-files">
                {files
                    .into_iter()
                    .map(|file| {
                        let label = format!("Download {} ({})", file.name, human_size(file.size));
                        let preview = file.thumbnail_url().map(|src| {
                            view! { <img src=src alt=file.name.clone() loading="lazy" /> }
                        });
                        view! {
                            <li>
                                <a href=file.download_url() download=file.name.clone() aria-label=label>
                                    {preview}
                                    <span class="file-name">{file.name.clone()}</span>
                                    <span class="muted small">{human_size(file.size)}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
