//! CSV files posted with a form: read as the bytes that came (a file that is not UTF-8 is
//! refused with a clear message, never garbled), and their problems listed by line.

use crate::i18n::Msg;

/// The text of an uploaded CSV file: UTF-8 (a byte-order mark dropped), or the message to show.
pub fn text(bytes: &[u8]) -> Result<String, Msg> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(Msg::ImportNotUtf8),
    }
}

/// The CSV posted under `name`: the file chosen (decoded by [`text`]), or, when no file came,
/// the text field of that name (the preview's copy, sent back with "Import").
pub fn posted(ctx: &crate::web::Ctx, name: &str) -> Result<String, Msg> {
    match ctx.file(name) {
        Some(file) => text(&file.bytes),
        None => Ok(ctx.get(name).to_owned()),
    }
}

/// A problem on a line of the file (line 1 is the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// The line.
    pub line: usize,
    /// What is wrong, in the user's language.
    pub message: String,
}

/// The table of a file's problems, by line, and the reminder that nothing was saved.
#[leptos::component]
pub fn LineProblems(errors: Vec<LineError>) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let lang = crate::i18n::use_lang();
    view! {
        <h2 class="govuk-heading-m">{lang.t(Msg::ImportProblemsTitle)}</h2>
        <table class="govuk-table" id="import-problems">
            <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::ImportProblemsTitle)}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::ImportLine)}</th>
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::ImportProblem)}</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {errors.into_iter().map(|e| view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell">{e.line}</td>
                        <td class="govuk-table__cell">{e.message}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <p class="govuk-body">{lang.t(Msg::ImportNothingSaved)}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_utf8_is_refused_and_a_bom_is_dropped() {
        assert_eq!(text(b"\xef\xbb\xbfa,b\n").as_deref(), Ok("a,b\n"));
        assert_eq!(text("Siân,Jones".as_bytes()).as_deref(), Ok("Siân,Jones"));
        // "Siân" saved as Windows-1252 by a spreadsheet.
        assert_eq!(text(b"Si\xe2n,Jones"), Err(Msg::ImportNotUtf8));
    }
}
