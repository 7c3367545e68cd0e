-- A refund is credited at the price its earning was billed at, not at the
-- contract in force when the refund is booked: a reversal booking names the
-- earning's booking, and settlement prices it by that booking's time.
ALTER TABLE bookings ADD COLUMN origin_booking_id BIGINT UNSIGNED NULL AFTER ref_id;

-- Reversals booked before: their earning, from the transaction the detail names.
UPDATE bookings b
  JOIN transactions t ON t.tenant_id = b.tenant_id AND t.partner_id = b.partner_id
   AND t.transaction_id = JSON_VALUE(b.detail, '$.transaction')
   SET b.origin_booking_id = t.booking_id
 WHERE b.kind = 'reversal';
