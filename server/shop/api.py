"""Routes of the shop: catalogue (public), checkout and orders (bearer auth), PDF receipts."""

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router
from ninja.pagination import paginate

from accounts.auth import jwt_auth
from core import idempotency
from core.auth import request_user
from core.pagination import Pages
from core.schemas import DbId, ErrorOut
from shop import selectors, services
from shop.models import Category, Order, Product
from shop.receipts import render_receipt_pdf
from shop.schemas import CategoryOut, ClinicOut, OrderIn, OrderListFilters, OrderOut, OrderStatusIn, ProductFilters, ProductOut

router = Router(tags=["shop"])


@router.get("/clinic", response=ClinicOut, description="The clinic's name, address and phone, the VAT rate checkout adds, and the appointment change cutoff.")
def get_clinic(request: HttpRequest) -> dict[str, object]:
    return selectors.clinic_info()


@router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> list[Category]:
    return list(selectors.category_list())


@router.get("/products", response=list[ProductOut])
@paginate(Pages)
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> object:
    return selectors.product_list(search=filters.search, category=filters.category)


@router.get("/products/{int:product_id}", response={200: ProductOut, 404: ErrorOut})
def get_product(request: HttpRequest, product_id: DbId) -> Product:
    return selectors.product_get(product_id=product_id)


@router.post(
    "/orders",
    auth=jwt_auth,
    response={201: OrderOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    description=(
        "Place an order from a cart. Prices come from the server. Send an `Idempotency-Key` header (a UUID): "
        "repeating the same key with the same cart answers the first order again with the same status and body "
        "and the header `Idempotent-Replayed: true`; the same key with a different cart is a 422 "
        "`idempotency_key_reused`. An out-of-stock line is a 409 naming the product and what is left."
    ),
)
def create_order(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    user = request_user(request)
    keyed = idempotency.IdempotentRequest.build(user=user, endpoint=services.CREATE_ORDER, key=idempotency_key, body=payload.model_dump())
    answer = idempotency.respond_once(
        keyed,
        status=201,
        run=lambda: services.order_place(user=user, items=[(item.product_id, item.quantity) for item in payload.items]),
        render=lambda order: OrderOut.from_orm(order).model_dump(mode="json"),
        load=lambda pk: selectors.order_get(user=user, order_id=int(pk)),
        what="checkout",
    )
    return answer.response()


@router.get("/orders", auth=jwt_auth, response={200: list[OrderOut], 401: ErrorOut, 403: ErrorOut})
@paginate(Pages)
def list_orders(request: HttpRequest, filters: Query[OrderListFilters]) -> object:
    return selectors.order_list(user=request_user(request), scope=filters.scope, status=filters.status)


@router.get("/orders/{int:order_id}", auth=jwt_auth, response={200: OrderOut, 401: ErrorOut, 404: ErrorOut})
def get_order(request: HttpRequest, order_id: DbId) -> Order:
    return selectors.order_get(user=request_user(request), order_id=order_id)


@router.post("/orders/{int:order_id}/cancel", auth=jwt_auth, response={200: OrderOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def cancel_order(request: HttpRequest, order_id: DbId) -> Order:
    order = services.order_cancel(user=request_user(request), order_id=order_id)
    return selectors.order_get(user=request_user(request), order_id=order.pk)


@router.post(
    "/orders/{int:order_id}/status",
    auth=jwt_auth,
    response={200: OrderOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def set_order_status(request: HttpRequest, order_id: DbId, payload: OrderStatusIn) -> Order:
    order = services.order_set_status(actor=request_user(request), order_id=order_id, status=payload.status)
    return selectors.order_get(user=request_user(request), order_id=order.pk)


@router.get(
    "/orders/{int:order_id}/receipt.pdf",
    auth=jwt_auth,
    response={401: ErrorOut, 404: ErrorOut},
    openapi_extra={
        "responses": {
            200: {"description": "The receipt", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
        }
    },
)
def download_order_receipt(request: HttpRequest, order_id: DbId) -> HttpResponse:
    order = selectors.order_get(user=request_user(request), order_id=order_id, owner_only=True)
    pdf = render_receipt_pdf(order)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
