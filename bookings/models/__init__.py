"""Models of the bookings app: consultation bookings, and events with their registrations."""

from bookings.models.consultations import ConsultationBooking
from bookings.models.events import Event, EventSession, Registration

__all__ = ["ConsultationBooking", "Event", "EventSession", "Registration"]
