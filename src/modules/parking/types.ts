/** A kind of parking space (车位类型): standard, EV charging (充电车位), accessible (无障碍车位), large vehicle (大型车位). */
export type SpaceType = 'standard' | 'ev' | 'accessible' | 'large';
/** Every space type, in the order lots list them. */
export const SPACE_TYPES: readonly SpaceType[] = ['standard', 'ev', 'accessible', 'large'];

/** A kind of lot: public garage (公共停车场), on-street segment (路内泊位), shared lot of an office, school or hospital (共享停车场). */
export type LotKind = 'garage' | 'street' | 'shared';
/** Every lot kind. */
export const LOT_KINDS: readonly LotKind[] = ['garage', 'street', 'shared'];

/**
 * A reservation's status (预约状态): held (锁定, until the hold expires), confirmed, checked_in, completed, cancelled,
 * expired (the hold ran out), no_show (confirmed but never came, released after the grace period).
 */
export type ReservationStatus = 'held' | 'confirmed' | 'checked_in' | 'completed' | 'cancelled' | 'expired' | 'no_show';

/** A lot's live state in the open feed: open with free spaces, full, closed (outside its opening hours), or unknown (its system is silent). */
export type LotState = 'open' | 'full' | 'closed' | 'unknown';
