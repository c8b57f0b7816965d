"""Demo products: the catalogue every demo quote and order draws on."""

from __future__ import annotations

from decimal import Decimal

from projects.models import Product

PRODUCTS = [
    ("P-ERP-01", "企业资源计划系统 标准版", "软件", "套", "280000.00", "60000.00"),
    ("P-ERP-02", "企业资源计划系统 集团版", "软件", "套", "980000.00", "210000.00"),
    ("P-MES-01", "制造执行系统", "软件", "套", "450000.00", "120000.00"),
    ("P-CRM-01", "客户关系管理云 年度订阅", "云服务", "用户·年", "1200.00", "300.00"),
    ("P-BI-01", "数据分析平台", "软件", "套", "160000.00", "40000.00"),
    ("P-SRV-01", "服务器 双路机架式", "硬件", "台", "68000.00", "52000.00"),
    ("P-STO-01", "分布式存储节点", "硬件", "台", "120000.00", "90000.00"),
    ("P-NET-01", "核心交换机", "硬件", "台", "85000.00", "61000.00"),
    ("P-IMP-01", "实施服务", "服务", "人天", "2500.00", "1200.00"),
    ("P-TRN-01", "培训服务", "服务", "人天", "2000.00", "800.00"),
    ("P-MNT-01", "年度维保服务", "服务", "年", "36000.00", "12000.00"),
    ("P-SEN-01", "工业传感器套件", "硬件", "套", "9800.00", "6100.00"),
]


def seed_products() -> int:
    created = 0
    for code, name, category, unit, price, cost in PRODUCTS:
        _product, was_created = Product.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "unit": unit,
                "list_price": Decimal(price),
                "cost": Decimal(cost),
            },
        )
        created += was_created
    return created
