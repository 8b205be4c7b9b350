//! Dates and times in the browser's local time zone, written the way each language
//! writes them (no date library: `Date` of the browser does the calendar).

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::js_sys::Date;

use super::Lang;

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn local(unix_secs: i64) -> Date {
    Date::new(&JsValue::from_f64(unix_secs as f64 * 1000.0))
}

/// A calendar day: en `Nov 23, 2026`, zh `2026年11月23日`, ko `2026년 11월 23일`.
/// `month` is 1–12.
pub fn day_text(lang: Lang, year: u32, month: u32, day: u32) -> String {
    match lang {
        Lang::En => {
            let name = MONTHS_EN.get(month.wrapping_sub(1) as usize).copied().unwrap_or("?");
            format!("{name} {day}, {year}")
        }
        Lang::Zh => format!("{year}年{month}月{day}日"),
        Lang::Ko => format!("{year}년 {month}월 {day}일"),
    }
}

/// The local calendar day of a Unix time in seconds.
pub fn date(lang: Lang, unix_secs: i64) -> String {
    let d = local(unix_secs);
    day_text(lang, d.get_full_year(), d.get_month() + 1, d.get_date())
}

/// The local time of day of a Unix time in seconds, `HH:MM` (24 h, every language).
pub fn time(unix_secs: i64) -> String {
    let d = local(unix_secs);
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn days_in_each_language() {
        assert_eq!(day_text(Lang::En, 2026, 11, 23), "Nov 23, 2026");
        assert_eq!(day_text(Lang::Zh, 2026, 11, 23), "2026年11月23日");
        assert_eq!(day_text(Lang::Ko, 2026, 11, 23), "2026년 11월 23일");
        assert_eq!(day_text(Lang::En, 2027, 1, 5), "Jan 5, 2027");
    }

    #[wasm_bindgen_test]
    fn local_times_are_hours_and_minutes() {
        let t = time(1_795_132_800);
        assert_eq!(t.len(), 5, "{t}");
        assert_eq!(&t[2..3], ":");
        // Noon UTC is the same calendar day almost everywhere.
        assert!(date(Lang::Zh, 1_795_176_000).starts_with("2026年11月"));
    }
}
