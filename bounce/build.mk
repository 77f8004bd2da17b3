# bounce: delivery status notifications (the bounce, defer and trace services; single style).
DAEMONS += bounce
bounce_SRCS := bounce/bounce.c bounce/bounce_notice.c bounce/bounce_compose.c
