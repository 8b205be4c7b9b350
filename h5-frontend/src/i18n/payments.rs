//! The texts of the payment history (issue 16), reached through `Texts::payments()`
//! like the console's: only the extra bundle, whose page reads them, carries them.
//! Templates: `{date}`, `{amount}`; translations keep the placeholder.

use super::{Lang, Texts};

/// The payment history's texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct PaymentsTexts {
    /// The account page's link, and the page's title.
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    /// `{date}`: when it was paid.
    pub paid_on: &'static str,
    /// What left the balance, in the settlement asset.
    pub charged: &'static str,
    /// `{amount}`: refunded so far, with its currency.
    pub refunded_total: &'static str,
    pub refunds: &'static str,
    pub refund_succeeded: &'static str,
    pub refund_pending: &'static str,
    pub refund_failed: &'static str,
    /// What came back to the balance, in the settlement asset.
    pub returned: &'static str,
}

impl PaymentsTexts {
    /// What the user reads for a refund's status; an unknown one shows its own name.
    pub fn refund_status<'a>(&'static self, status: &'a str) -> &'a str {
        match status {
            "succeeded" => self.refund_succeeded,
            "pending" => self.refund_pending,
            "failed" => self.refund_failed,
            other => other,
        }
    }
}

impl Texts {
    /// The payment history's texts in this language.
    pub fn payments(&self) -> &'static PaymentsTexts {
        match self.lang {
            Lang::Zh => &ZH,
            Lang::Ko => &KO,
            Lang::En => &EN,
        }
    }
}

const EN: PaymentsTexts = PaymentsTexts {
    title: "Payment history",
    intro: "What you paid with OpenGate, newest first, and what came back.",
    none: "No payments yet.",
    paid_on: "Paid on {date}",
    charged: "From your balance",
    refunded_total: "Refunded {amount}",
    refunds: "Refunds",
    refund_succeeded: "Refunded",
    refund_pending: "Refund in progress",
    refund_failed: "Refund failed",
    returned: "Back to your balance",
};

const ZH: PaymentsTexts = PaymentsTexts {
    title: "支付记录",
    intro: "你用 OpenGate 支付的订单（最新在前）及退款。",
    none: "还没有支付记录。",
    paid_on: "支付于 {date}",
    charged: "余额扣款",
    refunded_total: "已退款 {amount}",
    refunds: "退款",
    refund_succeeded: "已退款",
    refund_pending: "退款处理中",
    refund_failed: "退款失败",
    returned: "退回余额",
};

const KO: PaymentsTexts = PaymentsTexts {
    title: "결제 내역",
    intro: "OpenGate로 결제한 내역(최신순)과 환불 내역입니다.",
    none: "아직 결제 내역이 없습니다.",
    paid_on: "{date} 결제",
    charged: "잔액에서 결제",
    refunded_total: "{amount} 환불됨",
    refunds: "환불",
    refund_succeeded: "환불 완료",
    refund_pending: "환불 처리 중",
    refund_failed: "환불 실패",
    returned: "잔액으로 환불",
};

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn templates_keep_their_placeholders() {
        for t in [&EN, &ZH, &KO] {
            assert!(t.paid_on.contains("{date}"), "{}", t.paid_on);
            assert!(t.refunded_total.contains("{amount}"), "{}", t.refunded_total);
        }
    }
}
