//! `#statement`: the app's daily statement (SPEC §13) as a download, the same CSV its
//! partner server gets from `/open/v1/pay/statements`. A plain link: the browser
//! downloads it with the session cookie (a read, no CSRF token).

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::clock::now_secs;
use crate::i18n::use_texts;
use crate::nav::encode_uri_component;

/// `YYYY-MM-DD` of a unix time in UTC (days to civil date, H. Hinnant's algorithm).
pub fn utc_day(unix_secs: i64) -> String {
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A `YYYY-MM-DD` the server can take (it checks the calendar itself).
fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[derive(Properties, PartialEq)]
pub struct StatementProps {
    pub app_id: AttrValue,
}

#[function_component(StatementSection)]
pub fn statement_section(props: &StatementProps) -> Html {
    let t = use_texts();
    let c = t.console();
    let date = use_state(|| utc_day(now_secs()));
    let oninput = {
        let date = date.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                date.set(input.value());
            }
        })
    };
    let href = is_day(&date)
        .then(|| format!("/api/console/apps/{}/statement?date={}", encode_uri_component(&props.app_id), &*date));
    html! {
        <section id="statement" class="card">
            <h2>{ c.statement_title }</h2>
            <p class="muted">{ c.statement_note }</p>
            <label for="statement-date">{ c.statement_date }</label>
            <input id="statement-date" type="date" value={(*date).clone()} max={utc_day(now_secs())} {oninput} />
            <a id="statement-download" class="button secondary" {href} download=""
                aria-disabled={(!is_day(&date)).to_string()}>{ c.statement_download }</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn utc_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(951_782_400), "2000-02-29");
        assert_eq!(utc_day(1_796_515_199), "2026-12-05");
        assert!(is_day("2026-12-05") && !is_day("2026-1-05") && !is_day(""));
    }
}
