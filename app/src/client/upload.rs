//! A file's bytes to the server, with progress and cancel. `fetch` cannot
//! tell how much of a request's body has gone out; XMLHttpRequest can, and
//! can be aborted. The body is the `File` itself: the browser reads it
//! from disk as it sends, so a large file is never held in memory.

use super::web::Attached;
use crate::error::AppError;
use crate::model::{FileInfo, UPLOAD_PATH, UploadTarget};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{XmlHttpRequest, XmlHttpRequestUpload};

/// One file on its way up; dropping it stops it.
pub struct FileUpload {
    request: Attached<XmlHttpRequest>,
    _progress: Attached<XmlHttpRequestUpload>,
}

impl FileUpload {
    /// Starts sending `file` for `target`. `progress` hears the share sent
    /// (0 to 1) as it goes; `done`, once, how it ended.
    pub fn start(
        target: UploadTarget,
        file: &web_sys::File,
        progress: impl Fn(f64) + 'static,
        done: impl Fn(Result<FileInfo, AppError>) + 'static,
    ) -> Result<Self, AppError> {
        let failed = |_| AppError::Unreachable("the browser could not start the upload".into());
        let request = XmlHttpRequest::new().map_err(failed)?;
        let name = String::from(js_sys::encode_uri_component(&file.name()));
        request.open("POST", &format!("{UPLOAD_PATH}?{}&name={name}", target.query())).map_err(failed)?;
        let kind = file.type_();
        let kind = if kind.is_empty() { "application/octet-stream".to_string() } else { kind };
        request.set_request_header("Content-Type", &kind).map_err(failed)?;
        let done: Rc<dyn Fn(Result<FileInfo, AppError>)> = Rc::new(done);
        let on_load = {
            let (done, request) = (done.clone(), request.clone());
            Closure::new(move |_: JsValue| done(answer(&request)))
        };
        let on_failure = {
            let done = done.clone();
            Closure::new(move |_: JsValue| done(Err(AppError::UploadStopped)))
        };
        let on_abort = Closure::new(move |_: JsValue| done(Err(AppError::UploadStopped)));
        let request = Attached::new(request)
            .on(|r, f| r.set_onload(f), on_load)
            .on(|r, f| r.set_onerror(f), on_failure)
            .on(|r, f| r.set_onabort(f), on_abort);
        let upload = request.upload().map_err(failed)?;
        let on_progress = Closure::new(move |event: JsValue| {
            if let Ok(event) = event.dyn_into::<web_sys::ProgressEvent>()
                && event.length_computable()
                && event.total() > 0.0
            {
                progress(event.loaded() / event.total());
            }
        });
        let progress = Attached::new(upload).on(|u, f| u.set_onprogress(f), on_progress);
        request.send_with_opt_blob(Some(file)).map_err(failed)?;
        Ok(FileUpload { request, _progress: progress })
    }
}

impl Drop for FileUpload {
    fn drop(&mut self) {
        // Nothing more is heard from it (the handlers go with it); a
        // finished request ignores this.
        let _ = self.request.abort();
    }
}

/// What the server answered: the file, or the error (as server functions
/// send theirs).
fn answer(request: &XmlHttpRequest) -> Result<FileInfo, AppError> {
    let status = request.status().unwrap_or(0);
    let text = request.response_text().ok().flatten().unwrap_or_default();
    if status == 200 {
        return crate::json::from_text(&text).map_err(|_| AppError::Unreachable("an unreadable answer".into()));
    }
    Err(crate::json::from_text(&text).unwrap_or_else(|_| AppError::Unreachable(format!("HTTP {status}"))))
}
